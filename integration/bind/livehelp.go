package bind

import (
	"context"
	"errors"

	"github.com/parley-im/parley/integration"
	"github.com/parley-im/parley/integration/api"
	"github.com/parley-im/parley/integration/auth"
	"github.com/parley-im/parley/livehelp"
)

// LiveHelp describes LiveHelpService over lh: what a site reads of its
// live help (not in the seed, whose chapter 4 stops at the chat): its
// visitors' transcripts and a support group's status.
func LiveHelp(lh *livehelp.Service) *api.Service {
	getTranscripts := func(ctx context.Context, siteID, token string, q *livehelp.TranscriptQuery) (*livehelp.TranscriptList, error) {
		var query livehelp.TranscriptQuery
		if q != nil {
			query = *q
		}
		l, err := lh.SiteTranscripts(ctx, siteID, token, query)
		return &l, err
	}
	getTranscript := func(ctx context.Context, siteID, token string, chatID int64) (*livehelp.Transcript, error) {
		t, err := lh.SiteTranscript(ctx, siteID, token, chatID)
		return &t, err
	}
	getSupportGroupStatus := func(ctx context.Context, siteID, token, group string) (*livehelp.SupportGroupStatus, error) {
		st, err := lh.SiteGroupStatus(ctx, siteID, token, group)
		return &st, err
	}
	return &api.Service{
		Name:     "LiveHelpService",
		Doc:      "Live help for sites: transcripts of their visitors' chats and left messages, and support groups' status (queue length, estimated wait).",
		MapError: liveHelpError,
		Operations: []*api.Operation{
			api.NewOperation("getTranscripts",
				"Returns the site's chats, newest first, each with its transcript: state open, ended or message (left while nobody was available).",
				getTranscripts,
				"String representing the site ID",
				"String representing the site's SESSION or GUESTCHAT token",
				"Optional TranscriptQuery: fromUserJID (r_fromUserJID of the chat requests), groupJID, since, until, maxResults (1-100, default 20)"),
			api.NewOperation("getTranscript",
				"Returns one chat of the site with its transcript.",
				getTranscript,
				"String representing the site ID",
				"String representing the site's SESSION or GUESTCHAT token",
				"Long representing the chat ID (chatID of getTranscripts)"),
			api.NewOperation("getSupportGroupStatus",
				"Returns a support group's state (available, away, offline), its ready and online agents, the visitors waiting and a new visitor's estimated wait.",
				getSupportGroupStatus,
				"String representing the site ID",
				"String representing the site's SESSION, PRESENCE or GUESTCHAT token",
				"String representing the group's JID"),
		},
	}
}

func liveHelpError(err error) *api.Error {
	switch {
	case errors.Is(err, livehelp.ErrInvalidQuery):
		return &api.Error{Code: api.BadRequest, Status: integration.ServiceInputError, Message: err.Error()}
	case errors.Is(err, auth.ErrInvalidToken):
		return &api.Error{Code: api.Unauthenticated, Status: integration.NotAuthorized, Message: err.Error()}
	case errors.Is(err, livehelp.ErrNotAuthorized):
		return &api.Error{Code: api.Forbidden, Status: integration.NotAuthorized, Message: err.Error()}
	}
	return nil
}
