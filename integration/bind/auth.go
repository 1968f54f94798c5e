// Package bind describes the integration services' operations over the
// service layer: the api tables (operation names, param0..N, the seed's
// types and descriptions) of AuthenticationService,
// ConfigurationService and PresenceService, and how each service's
// errors become faults or status codes. The SOAP and JSON bindings serve
// these tables; the server builds them in server/integration.go.
//
// Where the seed gives a result a status code (getConfiguration,
// getBulkPresence), an invalid token, an unauthorized entity or bad
// input is answered with that status in a normal response. Elsewhere
// (the Authentication operations, getPresence) the seed has no status
// field, so they are faults: a SOAP soap:Client fault or an HTTP 4xx,
// carrying the status code too.
package bind

import (
	"errors"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/auth"
)

// Authentication describes AuthenticationService (seed chapter 3,
// "Authentication Services") over a.
func Authentication(a *auth.Service) *api.Service {
	const (
		id     = "String containing user name (bare JID) or site ID"
		secret = "String containing password, site authentication key, or a SESSION token"
		props  = "TokenProperties: tokenPolicy (SESSION, PRESENCE, PROXY, REPORTING, PRECONFERENCE, POSTCONFERENCE, GUESTCHAT joined by ::) and, for a PROXY policy, the PROXY_USER attribute"
		policy = "Optional PolicyObject: policyArray attributes TOKEN_POLICY and PROXY_USER override param2's for this token"
		token  = "String representing the token of the user or site"
	)
	return &api.Service{
		Name:     "AuthenticationService",
		Doc:      "Issues and checks Authentication Services tokens for sites and users.",
		MapError: authError,
		Operations: []*api.Operation{
			api.NewOperation("createSession",
				"Returns a SESSION token (TokenObject with TOKENID and EXPIRY_TIME) for a user name and password or a site ID and authentication key.",
				a.CreateSession, id, "String containing password or site authentication key", `String containing either "USER" or "SITE"`),
			api.NewOperation("requestToken",
				"Returns a token for the policy of param2; obtained with a SESSION token it is that token's child and ends with it.",
				a.RequestToken, id, secret, props, policy),
			api.NewOperation("requestMultipleTokens",
				"Returns one token per PolicyObject of param3, in order (tokenIndex 0, 1, ...); all or none. More than max_request_size is REQUEST_SIZE_EXCEEDED.",
				a.RequestMultipleTokens, id, secret, props, "Array of PolicyObject, one per token requested"),
			api.NewOperation("requestTokenForCredentials",
				"Returns a token for the policy of param1 to the entity that param0 names and proves.",
				a.RequestTokenForCredentials, "CredentialObject: credentialType TOKEN or PASSWORD, entityType SITE or USER, entityCredential, entityID", props, policy),
			api.NewOperation("endSession",
				"Invalidates a token issued to the entity, and every token derived from it, and returns the invalidated TokenObject.",
				a.EndSession, id, token),
			api.NewOperation("getTokenStatus",
				"Returns the token with STATUS VALID (and TOKEN_POLICY, EXPIRY_TIME) or INVALID in tokenAttributes.",
				a.GetTokenStatus, id, token),
		},
	}
}

// authError maps the Authentication service's sentinels. Their messages
// are safe to show (auth/errors.go).
func authError(err error) *api.Error {
	switch {
	case errors.Is(err, auth.ErrInvalidInput):
		return &api.Error{Code: api.BadRequest, Status: integration.ServiceInputError, Message: err.Error()}
	case errors.Is(err, auth.ErrRequestSizeExceeded):
		return &api.Error{Code: api.BadRequest, Status: integration.RequestSizeExceeded, Message: err.Error()}
	case errors.Is(err, auth.ErrAuthFailed), errors.Is(err, auth.ErrInvalidToken):
		return &api.Error{Code: api.Unauthenticated, Status: integration.NotAuthorized, Message: err.Error()}
	case errors.Is(err, auth.ErrNotAuthorized):
		return &api.Error{Code: api.Forbidden, Status: integration.NotAuthorized, Message: err.Error()}
	case errors.Is(err, auth.ErrSiteNotFound):
		return &api.Error{Code: api.Unauthenticated, Status: integration.InvalidSiteID, Message: err.Error()}
	}
	return nil
}
