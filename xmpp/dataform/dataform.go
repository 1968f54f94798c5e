// Package dataform reads and writes XEP-0004 data forms
// (<x xmlns='jabber:x:data'/>): what PEP node configuration, ad-hoc
// commands, service discovery extensions (XEP-0128) and in-band
// registration exchange. It holds no server state.
package dataform

import (
	"strings"

	"github.com/parley-im/parley/xmpp/ns"
	"github.com/parley-im/parley/xmpp/xml"
)

// Form types (the x element's type attribute).
const (
	TypeForm   = "form"
	TypeSubmit = "submit"
	TypeCancel = "cancel"
	TypeResult = "result"
)

// Field is one form field.
type Field struct {
	Var      string
	Type     string // boolean, fixed, hidden, jid-multi, jid-single, list-multi, list-single, text-multi, text-private, text-single; "" for none
	Label    string
	Required bool
	Values   []string
	Options  []Option // for list-single and list-multi
}

// Option is a choice of a list field.
type Option struct{ Label, Value string }

// Form is a data form.
type Form struct {
	Type         string
	Title        string
	Instructions string
	Fields       []Field
}

// Limits on what Parse accepts, so a hostile form cannot make a server
// keep huge structures.
const (
	MaxFields = 256
	MaxValues = 256 // per field
)

// Parse reads a data form element; ok is false if el is not one or is
// over the limits.
func Parse(el *xml.Element) (Form, bool) {
	if el == nil || el.Space != ns.DataForms || el.Name != "x" {
		return Form{}, false
	}
	f := Form{Type: el.Attr("type")}
	for _, c := range el.Children {
		if c.Space != ns.DataForms {
			continue
		}
		switch c.Name {
		case "title":
			f.Title = c.Text
		case "instructions":
			f.Instructions = c.Text
		case "field":
			if len(f.Fields) == MaxFields {
				return Form{}, false
			}
			fl := Field{Var: c.Attr("var"), Type: c.Attr("type"), Label: c.Attr("label")}
			for _, v := range c.Children {
				if v.Space != ns.DataForms {
					continue
				}
				switch v.Name {
				case "value":
					if len(fl.Values) == MaxValues {
						return Form{}, false
					}
					fl.Values = append(fl.Values, v.Text)
				case "required":
					fl.Required = true
				case "option":
					if len(fl.Options) == MaxValues {
						return Form{}, false
					}
					o := Option{Label: v.Attr("label")}
					if val := v.Child(ns.DataForms, "value"); val != nil {
						o.Value = val.Text
					}
					fl.Options = append(fl.Options, o)
				}
			}
			f.Fields = append(f.Fields, fl)
		}
	}
	return f, true
}

// Find returns the first data form among el's children, if any.
func Find(el *xml.Element) (Form, bool) {
	if el == nil {
		return Form{}, false
	}
	return Parse(el.Child(ns.DataForms, "x"))
}

// FormType is the value of the hidden FORM_TYPE field, or "".
func (f Form) FormType() string { return strings.TrimSpace(f.Value("FORM_TYPE")) }

// Field returns the field named v.
func (f Form) Field(v string) (Field, bool) {
	for _, fl := range f.Fields {
		if fl.Var == v {
			return fl, true
		}
	}
	return Field{}, false
}

// Has reports whether the form has a field named v.
func (f Form) Has(v string) bool {
	_, ok := f.Field(v)
	return ok
}

// Value is the first value of field v, or "".
func (f Form) Value(v string) string {
	fl, _ := f.Field(v)
	if len(fl.Values) == 0 {
		return ""
	}
	return fl.Values[0]
}

// Values are the values of field v.
func (f Form) Values(v string) []string {
	fl, _ := f.Field(v)
	return fl.Values
}

// Bool reads a boolean value ("1" or "true" is true; XEP-0004 §3.3).
func Bool(v string) (b, ok bool) {
	switch strings.TrimSpace(v) {
	case "1", "true":
		return true, true
	case "0", "false":
		return false, true
	}
	return false, false
}

// BoolValue writes a boolean value.
func BoolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Element writes the form.
func (f Form) Element() *xml.Element {
	x := xml.NewElement(ns.DataForms, "x", xml.Attr{Name: "type", Value: f.Type})
	if f.Title != "" {
		x.AddChild(xml.NewElement(ns.DataForms, "title").SetText(f.Title))
	}
	if f.Instructions != "" {
		x.AddChild(xml.NewElement(ns.DataForms, "instructions").SetText(f.Instructions))
	}
	for _, fl := range f.Fields {
		el := xml.NewElement(ns.DataForms, "field")
		if fl.Var != "" {
			el.SetAttr("var", fl.Var)
		}
		if fl.Type != "" {
			el.SetAttr("type", fl.Type)
		}
		if fl.Label != "" {
			el.SetAttr("label", fl.Label)
		}
		if fl.Required {
			el.AddChild(xml.NewElement(ns.DataForms, "required"))
		}
		for _, v := range fl.Values {
			el.AddChild(xml.NewElement(ns.DataForms, "value").SetText(v))
		}
		for _, o := range fl.Options {
			opt := xml.NewElement(ns.DataForms, "option")
			if o.Label != "" {
				opt.SetAttr("label", o.Label)
			}
			opt.AddChild(xml.NewElement(ns.DataForms, "value").SetText(o.Value))
			el.AddChild(opt)
		}
		x.AddChild(el)
	}
	return x
}

// Hidden is a hidden field, such as FORM_TYPE.
func Hidden(v, value string) Field { return Field{Var: v, Type: "hidden", Values: []string{value}} }
