package jsonapi

import (
	"net/http"
	"strings"

	"github.com/parley-im/parley/integration/api"
)

// openAPI serves the OpenAPI 3.0 document of every operation.
func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, Document(h.cfg.BaseURL(r)+strings.TrimSuffix(Prefix, "/"), h.services...))
}

type obj = map[string]any

// Document builds the OpenAPI 3.0 document of services served at
// serverURL (…/api/v1).
func Document(serverURL string, services ...*api.Service) obj {
	paths := obj{}
	for _, svc := range services {
		for _, op := range svc.Operations {
			props := obj{}
			var order []string
			for _, p := range op.Params {
				d, _ := api.Describe(p.Elem())
				s := schema(d)
				if p.Doc != "" {
					s = obj{"allOf": []any{s}, "description": p.Doc}
				}
				if p.Optional {
					s = withNullable(s)
				}
				props[p.Name] = s
				order = append(order, p.Name)
			}
			res, _ := api.Describe(op.Result)
			errResp := func(desc string) obj {
				return obj{"description": desc, "content": obj{"application/json": obj{"schema": ref("Error")}}}
			}
			paths["/"+svc.Name+"/"+op.Name] = obj{"post": obj{
				"operationId": svc.Name + "_" + op.Name,
				"tags":        []string{svc.Name},
				"summary":     op.Name,
				"description": op.Doc + "\n\nParameters are positional in SOAP and named " + strings.Join(order, ", ") + " here; an absent or null parameter is the seed's null.",
				"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{
					"type": "object", "properties": props, "additionalProperties": false,
				}}}},
				"responses": obj{
					"200": obj{"description": "the result", "content": obj{"application/json": obj{"schema": schema(res)}}},
					"400": errResp("malformed JSON, an unknown parameter or a bad value (status 1010 SERVICE_INPUT_ERROR)"),
					"401": errResp("invalid credentials or an invalid, expired or unknown token"),
					"403": errResp("the entity is not authorized (status 1032 NOT_AUTHORIZED)"),
					"404": errResp("no such service or operation"),
					"413": errResp("request too large (status 1011 REQUEST_SIZE_EXCEEDED)"),
					"415": errResp("Content-Type is not application/json"),
					"500": errResp("internal error (status 1090 UNEXPECTED_ERROR)"),
					"503": errResp("the operation timed out"),
				},
			}}
		}
	}
	schemas := obj{"Error": obj{
		"type":     "object",
		"required": []string{"error"},
		"properties": obj{
			"error":      obj{"type": "string", "description": "what went wrong"},
			"status":     obj{"type": "integer", "description": "the seed's status code, when one applies"},
			"statusName": obj{"type": "string", "description": "the status code's name, e.g. NOT_AUTHORIZED"},
		},
	}}
	for _, t := range api.ComplexTypes(services...) {
		if t.Kind != api.Struct {
			continue // arrays are inlined
		}
		props := obj{}
		for _, f := range t.Fields {
			s := schema(f.Type)
			if f.Repeated {
				s = obj{"type": "array", "items": s, "nullable": true}
			} else if f.Optional {
				s = withNullable(s)
			}
			props[f.Name] = s
		}
		schemas[t.Name] = obj{"type": "object", "properties": props}
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "Parley integration services",
			"version":     "1",
			"description": "The Real-Time Collaboration Integration Services (authentication tokens, configuration, presence) as JSON. The same operations are served over SOAP 1.1 at /imtapp/ws/<Service> (WSDL at ?WSDL).",
		},
		"servers":    []any{obj{"url": serverURL}},
		"paths":      paths,
		"components": obj{"schemas": schemas},
	}
}

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

// withNullable marks s nullable; a $ref cannot carry siblings in 3.0,
// so it is wrapped in allOf.
func withNullable(s obj) obj {
	if _, isRef := s["$ref"]; isRef {
		return obj{"allOf": []any{s}, "nullable": true}
	}
	out := obj{"nullable": true}
	for k, v := range s {
		out[k] = v
	}
	return out
}

func schema(t *api.Type) obj {
	switch t.Kind {
	case api.String:
		return obj{"type": "string"}
	case api.Int:
		return obj{"type": "integer", "format": "int32"}
	case api.Long:
		return obj{"type": "integer", "format": "int64"}
	case api.Boolean:
		return obj{"type": "boolean"}
	case api.DateTime:
		return obj{"type": "string", "format": "date-time"}
	case api.Array:
		return obj{"type": "array", "items": schema(t.Elem)}
	}
	return ref(t.Name)
}
