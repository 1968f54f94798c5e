package api

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Kind is the XSD / JSON Schema kind of a described type.
type Kind int

// The kinds a parameter, result or field may have.
const (
	String   Kind = iota // xsd:string, JSON string
	Int                  // xsd:int (Go int, int32), JSON integer
	Long                 // xsd:long (Go int64), JSON integer
	Boolean              // xsd:boolean, JSON boolean
	DateTime             // xsd:dateTime (Go time.Time, Timestamp), JSON string date-time
	Struct               // a named complex type
	Array                // a top-level array: ArrayOf<Elem> with <item> children
)

// Type describes a Go type as the bindings publish and decode it.
type Type struct {
	Kind   Kind
	Name   string // complex type name: the Go struct's name, or ArrayOf<Elem.Name>
	Elem   *Type  // Array: the item type
	Fields []Field
	Go     reflect.Type
}

// Field is one element of a Struct, in declaration order (the XSD
// sequence and the encoding order).
type Field struct {
	Name     string // the xml (and json) tag
	Index    int    // the Go field index
	Type     *Type  // the value type (slice and pointer element)
	Optional bool   // a pointer: minOccurs 0, nillable
	Repeated bool   // a slice: minOccurs 0, maxOccurs unbounded
}

// XSD returns the qualified XSD type name with prefixes xsd: for the
// built-ins and tns: for complex types.
func (t *Type) XSD() string {
	switch t.Kind {
	case String:
		return "xsd:string"
	case Int:
		return "xsd:int"
	case Long:
		return "xsd:long"
	case Boolean:
		return "xsd:boolean"
	case DateTime:
		return "xsd:dateTime"
	}
	return "tns:" + t.Name
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	timestampType = reflect.TypeFor[Timestamp]()
)

// Describe walks t. A top-level slice is an Array; slices inside
// structs are repeated fields; nested slices and other kinds are
// refused.
func Describe(t reflect.Type) (*Type, error) {
	return describe(t, true, map[reflect.Type]*Type{})
}

func describe(t reflect.Type, top bool, seen map[reflect.Type]*Type) (*Type, error) {
	if d, ok := seen[t]; ok {
		return d, nil
	}
	switch {
	case t == timeType || t == timestampType:
		return &Type{Kind: DateTime, Go: t}, nil
	case t.Kind() == reflect.String:
		return &Type{Kind: String, Go: t}, nil
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int32:
		return &Type{Kind: Int, Go: t}, nil
	case t.Kind() == reflect.Int64:
		return &Type{Kind: Long, Go: t}, nil
	case t.Kind() == reflect.Bool:
		return &Type{Kind: Boolean, Go: t}, nil
	case t.Kind() == reflect.Slice && top:
		elem, err := describe(t.Elem(), false, seen)
		if err != nil {
			return nil, err
		}
		return &Type{Kind: Array, Name: "ArrayOf" + typeName(elem), Elem: elem, Go: t}, nil
	case t.Kind() == reflect.Struct:
		if t.Name() == "" {
			return nil, fmt.Errorf("anonymous struct %v", t)
		}
		d := &Type{Kind: Struct, Name: t.Name(), Go: t}
		seen[t] = d
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("xml"), ",")
			jname, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "" || name != jname {
				return nil, fmt.Errorf("%s.%s: xml and json tags must name the field alike", t.Name(), sf.Name)
			}
			f := Field{Name: name, Index: i}
			ft := sf.Type
			switch ft.Kind() {
			case reflect.Pointer:
				f.Optional, ft = true, ft.Elem()
			case reflect.Slice:
				f.Repeated, ft = true, ft.Elem()
			}
			if ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer {
				return nil, fmt.Errorf("%s.%s: nested slices and pointers are not described", t.Name(), sf.Name)
			}
			ftd, err := describe(ft, false, seen)
			if err != nil {
				return nil, err
			}
			f.Type = ftd
			d.Fields = append(d.Fields, f)
		}
		return d, nil
	}
	return nil, fmt.Errorf("type %v cannot be described", t)
}

// typeName names simple types for ArrayOf<...> (ArrayOfString, ...).
func typeName(t *Type) string {
	switch t.Kind {
	case String:
		return "String"
	case Int:
		return "Int"
	case Long:
		return "Long"
	case Boolean:
		return "Boolean"
	case DateTime:
		return "DateTime"
	}
	return t.Name
}

// ComplexTypes returns every Struct and Array type reachable from the
// services' parameters and results, each once, in first-seen order (the
// WSDL's schema and the OpenAPI components). It panics if two Go types
// have the same name.
func ComplexTypes(services ...*Service) []*Type {
	var out []*Type
	done := map[string]*Type{}
	var walk func(t *Type)
	walk = func(t *Type) {
		if t.Kind != Struct && t.Kind != Array {
			return
		}
		if prev, ok := done[t.Name]; ok {
			if !sameShape(prev, t) {
				// Two Go types would publish one XSD type: the table is
				// wrong, and a client would decode one of them wrongly.
				panic(fmt.Sprintf("api: complex type %s is both %v and %v, which differ", t.Name, prev.Go, t.Go))
			}
			return
		}
		done[t.Name] = t
		out = append(out, t)
		if t.Elem != nil {
			walk(t.Elem)
		}
		for _, f := range t.Fields {
			walk(f.Type)
		}
	}
	for _, s := range services {
		for _, op := range s.Operations {
			for _, p := range op.Params {
				d, _ := Describe(p.Elem())
				walk(d)
			}
			d, _ := Describe(op.Result)
			walk(d)
		}
	}
	return out
}

// sameShape reports whether a and b describe the same wire type: kinds,
// names, and fields alike, recursively.
func sameShape(a, b *Type) bool {
	if a.Go == b.Go {
		return true
	}
	if a.Kind != Struct && a.Kind != Array {
		return a.Kind == b.Kind
	}
	if a.Kind != b.Kind || a.Name != b.Name || len(a.Fields) != len(b.Fields) || (a.Elem == nil) != (b.Elem == nil) {
		return false
	}
	if a.Elem != nil && !sameShape(a.Elem, b.Elem) {
		return false
	}
	for i, f := range a.Fields {
		g := b.Fields[i]
		if f.Name != g.Name || f.Optional != g.Optional || f.Repeated != g.Repeated || !sameShape(f.Type, g.Type) {
			return false
		}
	}
	return true
}
