// Package api describes the integration services' operations once, so
// that the SOAP binding (integration/soap) and the JSON binding
// (integration/jsonapi) serve the same service layer from one table.
//
// An Operation is a named Go function
//
//	func(ctx context.Context, param0 T0, param1 T1, ...) (R, error)
//
// whose parameter and result types are the seed's data types (this
// package's types.go, or any struct with xml and json tags of the same
// name). The bindings read the function's signature through reflection:
// the parameters are called param0..paramN as in the seed, a pointer
// parameter is optional (nillable, minOccurs 0, not required in JSON), a
// slice is an array. Types walks the same Go types into the XSD and JSON
// Schema descriptions the WSDL and OpenAPI documents publish, so what is
// described is exactly what is decoded.
package api

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"

	"github.com/parley-im/parley/integration"
)

// Service is one web service: /imtapp/ws/<Name> over SOAP and
// /api/v1/<Name>/<operation> over JSON.
type Service struct {
	Name       string // e.g. "AuthenticationService"
	Doc        string
	Operations []*Operation
	// MapError turns the service layer's errors (sentinels such as an
	// invalid token) into binding errors; see Classify.
	MapError ErrorMapper
}

// Operation returns the named operation, or nil.
func (s *Service) Operation(name string) *Operation {
	for _, op := range s.Operations {
		if op.Name == name {
			return op
		}
	}
	return nil
}

// Param is one parameter of an operation.
type Param struct {
	Name     string       // param0, param1, ...
	Doc      string       // the seed's description
	Type     reflect.Type // as the function declares it
	Optional bool         // a pointer parameter
}

// Elem is the parameter's value type (the pointer's element for an
// optional one).
func (p Param) Elem() reflect.Type {
	if p.Optional {
		return p.Type.Elem()
	}
	return p.Type
}

// Operation is one callable operation.
type Operation struct {
	Name   string
	Doc    string
	Params []Param
	Result reflect.Type // never a pointer: pointers are dereferenced
	fn     reflect.Value
}

var (
	ctxType = reflect.TypeFor[context.Context]()
	errType = reflect.TypeFor[error]()
)

// NewOperation describes fn, a func(context.Context, params...) (R,
// error), as the operation name. paramDocs document param0, param1, ...
// in order. It panics on a function of another shape or a type that
// Types cannot describe: the table is written by hand, at start-up.
func NewOperation(name, doc string, fn any, paramDocs ...string) *Operation {
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func || t.NumIn() < 1 || t.In(0) != ctxType || t.NumOut() != 2 || t.Out(1) != errType {
		panic(fmt.Sprintf("api: operation %s: want func(context.Context, ...) (R, error), have %v", name, t))
	}
	op := &Operation{Name: name, Doc: doc, fn: v, Result: t.Out(0)}
	if op.Result.Kind() == reflect.Pointer {
		op.Result = op.Result.Elem()
	}
	mustDescribe(name+" result", op.Result)
	for i := 1; i < t.NumIn(); i++ {
		p := Param{Name: "param" + strconv.Itoa(i-1), Type: t.In(i), Optional: t.In(i).Kind() == reflect.Pointer}
		if i-1 < len(paramDocs) {
			p.Doc = paramDocs[i-1]
		}
		mustDescribe(name+" "+p.Name, p.Elem())
		op.Params = append(op.Params, p)
	}
	return op
}

func mustDescribe(what string, t reflect.Type) {
	if _, err := Describe(t); err != nil {
		panic(fmt.Sprintf("api: %s: %v", what, err))
	}
}

// Call runs the operation with one value per parameter, each of the
// parameter's declared type (a nil pointer for an absent optional one).
// It returns the result dereferenced (nil for a nil pointer result).
func (op *Operation) Call(ctx context.Context, args []reflect.Value) (res any, err error) {
	if len(args) != len(op.Params) {
		return nil, &Error{Code: BadRequest, Message: fmt.Sprintf("%s takes %d parameters, got %d", op.Name, len(op.Params), len(args))}
	}
	in := make([]reflect.Value, 0, len(args)+1)
	in = append(in, reflect.ValueOf(ctx))
	in = append(in, args...)
	out := op.fn.Call(in)
	if e := out[1].Interface(); e != nil {
		return nil, e.(error)
	}
	r := out[0]
	if r.Kind() == reflect.Pointer {
		if r.IsNil() {
			return nil, nil
		}
		r = r.Elem()
	}
	return r.Interface(), nil
}

// Code classifies an error for the bindings: which SOAP fault code and
// which HTTP status it becomes.
type Code int

const (
	// Internal is a server-side failure: soap:Server, HTTP 500. Its
	// message is never the underlying error's.
	Internal Code = iota
	// BadRequest is malformed or invalid input: soap:Client, HTTP 400.
	BadRequest
	// Unauthenticated is a bad credential or an invalid, expired or
	// unknown token: soap:Client, HTTP 401.
	Unauthenticated
	// Forbidden is an authenticated entity that may not do this:
	// soap:Client, HTTP 403.
	Forbidden
	// NotFound is an unknown service or operation: soap:Client, HTTP 404.
	NotFound
	// TooLarge is a request over the size limit: soap:Client, HTTP 413.
	TooLarge
	// Timeout is an operation that ran out of time: soap:Server, HTTP 503.
	Timeout
)

// Error is an error a binding reports to its client: a SOAP fault or a
// JSON error object. Status is the seed's status code when one applies
// (SERVICE_INPUT_ERROR for bad input, NOT_AUTHORIZED, ...).
type Error struct {
	Code    Code
	Status  integration.Status // NoError when none applies
	Message string
}

func (e *Error) Error() string { return e.Message }

// ErrorMapper turns a service's error into an *Error. The service
// descriptions supply one; errors it does not know become Internal.
type ErrorMapper func(error) *Error

// Classify returns err as an *Error: err itself if it is one (or wraps
// one), else what mapper says, else an Internal error with a generic
// message (the cause is for the server's log only).
func Classify(err error, mapper ErrorMapper) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: Timeout, Message: "the operation timed out"}
	}
	if mapper != nil {
		if e := mapper(err); e != nil {
			return e
		}
	}
	return &Error{Code: Internal, Status: integration.UnexpectedError, Message: "internal error"}
}

type baseURLKey struct{}

// WithBaseURL records in ctx the scheme://host[:port] the client reached
// the server at; the bindings set it for every call, for operations whose
// answers contain the server's URLs (getConfiguration's service home).
func WithBaseURL(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseURLKey{}, base)
}

// BaseURL is what WithBaseURL recorded, or "".
func BaseURL(ctx context.Context) string {
	s, _ := ctx.Value(baseURLKey{}).(string)
	return s
}
