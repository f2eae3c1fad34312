package iampolicy

import "testing"

// FuzzParse checks that no document makes Parse or Evaluate panic, and that
// a document Parse accepts evaluates to one of the three results.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"chime:*","Resource":"*"}}`,
		`{"Statement":[{"Effect":"Deny","NotAction":["chime:Get*"],"NotResource":"arn:aws:chime::*:meeting/*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]}}}]}`,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*",1,true]},"Null":{"x":"false"},"DateLessThan":{"aws:CurrentTime":1893456000}}}}`,
		`{"Statement":{"Effect":"Allow","Action":"chime:**??*","Resource":"arn:*:*:*:*:*"}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		r := baseRequest("BatchSuspendUser")
		r.Values = map[string][]string{"aws:tagkeys": {"a", "b"}, "x": {"1"}}
		if d := Evaluate([]*Policy{p}, r); d.Result > ExplicitDeny {
			t.Fatalf("Evaluate = %v", d)
		}
	})
}
