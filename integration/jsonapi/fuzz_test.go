package jsonapi

import (
	"testing"
)

// FuzzDecodeArgs: any body either decodes into one value of the right
// type per parameter or is a 400 with the SERVICE_INPUT_ERROR status;
// it never panics.
func FuzzDecodeArgs(f *testing.F) {
	op := testService().Operation("requestMultipleTokens")
	for _, s := range []string{
		`{"param0": "a", "param1": "b", "param2": {"tokenPolicy": "P", "tokenAttributes": [{"name": "x", "value": null}]}, "param3": [{}]}`,
		`{"param3": null}`, `{}`, ``, `null`, `[]`, `{"param9": 1}`, `{"param2": {"nope": 1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		args, e := decodeArgs(data, op)
		if e != nil {
			if e.Message == "" || e.Status != 1010 || args != nil {
				t.Fatalf("error %+v with args %v", e, args)
			}
			return
		}
		if len(args) != len(op.Params) {
			t.Fatalf("%d args", len(args))
		}
		for i, a := range args {
			if !a.IsValid() || a.Type() != op.Params[i].Type {
				t.Fatalf("arg %d: %v", i, a)
			}
		}
	})
}
