package dataform

import (
	"testing"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

func TestRoundTrip(t *testing.T) {
	f := Form{Type: TypeForm, Title: "T", Instructions: "I", Fields: []Field{
		Hidden("FORM_TYPE", "urn:x"),
		{Var: "a", Type: "list-single", Label: "A", Required: true, Values: []string{"2"},
			Options: []Option{{"one", "1"}, {"two", "2"}}},
		{Var: "b", Type: "text-multi", Values: []string{"x", "y"}},
	}}
	got, ok := Parse(f.Element())
	if !ok {
		t.Fatal("Parse of a written form failed")
	}
	if got.FormType() != "urn:x" || got.Title != "T" || got.Instructions != "I" || got.Type != TypeForm {
		t.Fatalf("parsed %+v", got)
	}
	a, _ := got.Field("a")
	if !a.Required || a.Label != "A" || len(a.Options) != 2 || a.Options[1] != (Option{"two", "2"}) || got.Value("a") != "2" {
		t.Fatalf("field a = %+v", a)
	}
	if v := got.Values("b"); len(v) != 2 || v[1] != "y" {
		t.Fatalf("values of b = %v", v)
	}
	if got.Has("zz") || got.Value("zz") != "" {
		t.Fatal("a missing field is found")
	}
}

func TestParseRefuses(t *testing.T) {
	if _, ok := Parse(xml.NewElement("other", "x")); ok {
		t.Fatal("an x of another namespace parses")
	}
	x := xml.NewElement(ns.DataForms, "x")
	for range MaxFields + 1 {
		x.AddChild(xml.NewElement(ns.DataForms, "field"))
	}
	if _, ok := Parse(x); ok {
		t.Fatal("a form over MaxFields parses")
	}
}

func TestBool(t *testing.T) {
	for in, want := range map[string]bool{"1": true, "true": true, " 0 ": false, "false": false} {
		if b, ok := Bool(in); !ok || b != want {
			t.Errorf("Bool(%q) = %v %v", in, b, ok)
		}
	}
	if _, ok := Bool("yes"); ok {
		t.Error("Bool(yes) is accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>u</value></field><field var='a' type='list-multi'><option label='l'><value>1</value></option><required/></field></x>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		el, err := xml.ParseElement(b, ns.DataForms, xml.DefaultLimits)
		if err != nil {
			return
		}
		form, ok := Parse(el)
		if !ok {
			return
		}
		again, ok := Parse(form.Element())
		if !ok || len(again.Fields) != len(form.Fields) || again.FormType() != form.FormType() {
			t.Fatalf("a parsed form does not survive writing and parsing again: %+v vs %+v", form, again)
		}
	})
}
