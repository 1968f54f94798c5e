package calendar

import (
	"context"
	"fmt"
	"testing"

	"github.com/parley-im/parley/store"
)

// BenchmarkIngestDeliver is one notification from arrival to the
// reminder in the session's queue: parse, owner, settings, the
// delivered mark, the message (memory store).
func BenchmarkIngestDeliver(b *testing.B) {
	f := newFixture(b)
	f.user("alice@example.com", store.RemindersOn)
	s := f.online("alice@example.com/r", true, 0)
	go func() {
		for range s.ch {
		}
	}()
	i := 0
	for b.Loop() {
		i++
		out, err := f.agent.Ingest(context.Background(), Notification{Source: SourceNATS,
			Data: event(fmt.Sprintf("UID:bench-%d", i), "SUMMARY:Bench", "LOCATION:Room 1", "ORGANIZER:mailto:alice@example.com",
				"DTSTART:20260302T100000Z", "DTEND:20260302T110000Z")})
		if err != nil || out[0].Delivered != 1 {
			b.Fatalf("%v %+v", err, out)
		}
	}
}

// BenchmarkIngestSchedule is a notification whose alarm fires later:
// parse, evaluate, store the alarm.
func BenchmarkIngestSchedule(b *testing.B) {
	f := newFixture(b)
	f.user("alice@example.com", store.RemindersOn)
	i := 0
	for b.Loop() {
		i++
		out, err := f.agent.Ingest(context.Background(), Notification{Source: SourceNATS,
			Data: event(fmt.Sprintf("UID:bench-%d", i), "SUMMARY:Bench", "ORGANIZER:mailto:alice@example.com",
				"DTSTART:20260309T100000Z", "RRULE:FREQ=WEEKLY", alarm("-PT15M"))})
		if err != nil || out[0].NextAlarm == "" {
			b.Fatalf("%v %+v", err, out)
		}
	}
}
