package api

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/auth"
)

type twinAttr struct { // same wire shape as AdhocAttribute under another Go name
	Name  string  `xml:"name" json:"name"`
	Value *string `xml:"value" json:"value"`
}

func TestDescribe(t *testing.T) {
	d, err := Describe(reflect.TypeFor[BulkPresenceRequest]())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name               string
		kind               Kind
		optional, repeated bool
	}{{"entityID", String, false, false}, {"entityToken", String, false, false}, {"entityJIDs", String, false, true},
		{"resources", String, false, true}, {"allResources", Boolean, true, false}, {"adhocAttributes", Struct, false, true}}
	if d.Kind != Struct || d.Name != "BulkPresenceRequest" || len(d.Fields) != len(want) {
		t.Fatalf("%+v", d)
	}
	for i, w := range want {
		f := d.Fields[i]
		if f.Name != w.name || f.Type.Kind != w.kind || f.Optional != w.optional || f.Repeated != w.repeated {
			t.Errorf("field %d: %+v, want %+v", i, f, w)
		}
	}
	a, err := Describe(reflect.TypeFor[[]auth.TokenObject]())
	if err != nil || a.Kind != Array || a.Name != "ArrayOfTokenObject" || a.Elem.Name != "TokenObject" {
		t.Fatalf("array: %+v %v", a, err)
	}
	if d, _ := Describe(reflect.TypeFor[time.Time]()); d.XSD() != "xsd:dateTime" {
		t.Fatalf("time: %s", d.XSD())
	}
	for _, bad := range []any{map[string]string{}, struct{ X int }{}, [][]string{}, 1.5} {
		if _, err := Describe(reflect.TypeOf(bad)); err == nil {
			t.Errorf("%T described", bad)
		}
	}
	type untagged struct{ X string }
	if _, err := Describe(reflect.TypeFor[untagged]()); err == nil || !strings.Contains(err.Error(), "tags") {
		t.Errorf("untagged field: %v", err)
	}
}

func TestNewOperation(t *testing.T) {
	op := NewOperation("op", "doc", func(ctx context.Context, a string, b *bool, c []auth.PolicyObject) (*auth.TokenObject, error) {
		if b != nil && *b {
			return nil, nil
		}
		return &auth.TokenObject{Token: a}, nil
	}, "first")
	if len(op.Params) != 3 || op.Params[0].Name != "param0" || op.Params[0].Doc != "first" || !op.Params[1].Optional || op.Params[2].Optional || op.Result != reflect.TypeFor[auth.TokenObject]() {
		t.Fatalf("%+v", op)
	}
	res, err := op.Call(context.Background(), []reflect.Value{reflect.ValueOf("x"), reflect.Zero(op.Params[1].Type), reflect.Zero(op.Params[2].Type)})
	if err != nil || res.(auth.TokenObject).Token != "x" {
		t.Fatalf("%v %v", res, err)
	}
	yes := true
	if res, err := op.Call(context.Background(), []reflect.Value{reflect.ValueOf("x"), reflect.ValueOf(&yes), reflect.Zero(op.Params[2].Type)}); res != nil || err != nil {
		t.Fatalf("nil result: %v %v", res, err)
	}
	if _, err := op.Call(context.Background(), nil); err == nil {
		t.Fatal("wrong arity accepted")
	}
	for _, bad := range []any{func() {}, func(int) (string, error) { return "", nil }, func(context.Context, float64) (string, error) { return "", nil }} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%T accepted", bad)
				}
			}()
			NewOperation("bad", "", bad)
		}()
	}
}

func TestComplexTypesTwins(t *testing.T) {
	svc := func(fn any) *Service {
		return &Service{Name: "S", Operations: []*Operation{NewOperation("op", "", fn)}}
	}
	a := svc(func(context.Context, integration.AdhocAttribute) (string, error) { return "", nil })
	b := svc(func(context.Context, twinAttr) (string, error) { return "", nil })
	if got := ComplexTypes(a, a); len(got) != 1 {
		t.Fatalf("%d types", len(got))
	}
	// Different Go names: two types; the same name and shape: one.
	if got := ComplexTypes(a, b); len(got) != 2 {
		t.Fatalf("%d types", len(got))
	}
	{
		type AdhocAttribute struct { // same name and shape, another Go type
			Name  string  `xml:"name" json:"name"`
			Value *string `xml:"value" json:"value"`
		}
		d := svc(func(context.Context, AdhocAttribute) (string, error) { return "", nil })
		if got := ComplexTypes(a, d); len(got) != 1 {
			t.Fatalf("twins: %d types", len(got))
		}
	}
	type AdhocAttribute struct { // same name, other shape
		Name string `xml:"name" json:"name"`
	}
	c := svc(func(context.Context, AdhocAttribute) (string, error) { return "", nil })
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "differ") {
			t.Fatalf("clash not caught: %v", r)
		}
	}()
	ComplexTypes(a, c)
}
