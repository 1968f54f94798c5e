package bind

import (
	"context"
	"errors"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/presence"
)

// Presence describes PresenceService (seed chapter 3, "Get Presence SOAP
// Service" and "Bulk Presence SOAP Service") over p.
func Presence(p *presence.Service) *api.Service {
	getPresence := func(ctx context.Context, entityID, token, jid string, resource *string, all *bool) (*api.PresentityStatus, error) {
		req := presence.GetPresenceRequest{EntityID: entityID, EntityToken: token, JID: jid}
		if resource != nil {
			req.Resource = *resource
		}
		if all != nil {
			req.AllResources = *all
		}
		st, err := p.GetPresence(ctx, req)
		if err != nil {
			return nil, err
		}
		out := presentity(st)
		return &out, nil
	}
	getBulkPresence := func(ctx context.Context, in api.BulkPresenceRequest) (*api.BulkPresenceResponse, error) {
		resp, err := p.GetBulkPresence(ctx, presence.BulkPresenceRequest{
			EntityID: in.EntityID, EntityToken: in.EntityToken, EntityJIDs: in.EntityJIDs,
			Resources: in.Resources, AllResources: in.AllResources,
		})
		if err != nil {
			// The seed answers these with a status code (Table 3-49).
			e := presenceError(err)
			if e == nil {
				return nil, err
			}
			return &api.BulkPresenceResponse{StatusCode: int(e.Status), StatusMessage: e.Status.String(), StatusDetails: e.Message}, nil
		}
		out := &api.BulkPresenceResponse{
			StatusCode:    int(resp.Status),
			StatusMessage: resp.Status.String(),
			StatusDetails: resp.StatusDetails,
		}
		for _, st := range resp.PresentityStatusList {
			out.PresentityStatusList = append(out.PresentityStatusList, presentity(st))
		}
		return out, nil
	}
	return &api.Service{
		Name:     "PresenceService",
		Doc:      "Presence of users: one presentity (getPresence) or many (getBulkPresence).",
		MapError: presenceError,
		Operations: []*api.Operation{
			api.NewOperation("getPresence",
				"Returns the PresentityStatus of a JID: the named resource (none if it is not online), all online resources (param4 true), or the default resource (the available one with the highest priority).",
				getPresence,
				"String representing the site ID or user ID of the entity making the call",
				"String representing the authentication token (SESSION or PRESENCE) for this entity",
				"String representing the JID of the presentity",
				"Optional string: the resource to retrieve; absent for the default resource",
				"Optional boolean: all resources (only when param3 is not set)"),
			api.NewOperation("getBulkPresence",
				"Returns the presence of several JIDs in one call. statusCode: 0 NO_ERROR, 1010 SERVICE_INPUT_ERROR, 1011 REQUEST_SIZE_EXCEEDED (more JIDs than max_request_size, no data), 1012 ADDITIONAL_DATA_AVAILABLE (the answer stopped at max_response_size; later JIDs were not processed), 1032 NOT_AUTHORIZED.",
				getBulkPresence,
				"BulkPresenceRequest: entityID, entityToken, entityJIDs, optional resources (one per JID, empty for the default), optional allResources, adhocAttributes"),
		},
	}
}

func presentity(st presence.PresentityStatus) api.PresentityStatus {
	out := api.PresentityStatus{UserJID: st.UserJID}
	for _, r := range st.AllResources {
		out.AllResources = append(out.AllResources, api.PresentityResource{
			LastModifiedDate: r.LastModifiedDate.UTC(), Priority: r.Priority,
			ResourceName: r.ResourceName, Show: r.Show, Status: r.Status,
		})
	}
	return out
}

func presenceError(err error) *api.Error {
	switch {
	case errors.Is(err, presence.ErrInvalidInput):
		return &api.Error{Code: api.BadRequest, Status: integration.ServiceInputError, Message: err.Error()}
	case errors.Is(err, presence.ErrInvalidToken):
		return &api.Error{Code: api.Unauthenticated, Status: integration.NotAuthorized, Message: err.Error()}
	case errors.Is(err, presence.ErrNotAuthorized):
		return &api.Error{Code: api.Forbidden, Status: integration.NotAuthorized, Message: err.Error()}
	}
	return nil
}
