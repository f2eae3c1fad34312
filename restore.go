package openchime

import "encoding/json"

// CheckResource refuses a document that the Service could not read back
// once stored: the telephony configuration, which every phone operation
// reads, must decode and be valid, so a snapshot restore refuses it rather
// than fail them all afterwards. Documents of other kinds pass.
func CheckResource(kind, id string, data []byte) error {
	if kind != kindConfig || id != configPhoneID {
		return nil
	}
	var c PhoneConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return Errorf(BadRequest, "the telephony configuration does not decode: %v.", err)
	}
	if err := c.Validate(); err != nil {
		return Errorf(BadRequest, "the telephony configuration: %s", ErrorMessage(err))
	}
	return nil
}
