package httpapi

import (
	"mime"
	"net/http"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/fixturefile"
)

// fixtureJSON returns the JSON fixture of a POST /_openchime/seed body: the
// body itself, or its conversion when the Content-Type is YAML's
// (application/yaml, application/x-yaml, text/yaml, text/x-yaml), as the
// fixture files of --seed may be.
func fixtureJSON(r *http.Request, body []byte) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		b, err := fixturefile.YAMLToJSON(body)
		if err != nil {
			return nil, openchime.Errorf(openchime.BadRequest, "The YAML fixture cannot be read: %v.", err)
		}
		return b, nil
	}
	return body, nil
}
