package ics

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const xmlExample = `<?xml version="1.0" encoding="UTF-8"?>
<notifications xmlns="urn:parley:calendar:0">
  <event>
    <uid>meeting-42@cal.example.com</uid>
    <owner>mailto:alice@example.com</owner>
    <organizer>mailto:carol@example.com</organizer>
    <summary>Design review &amp; lunch</summary>
    <location>Room 4</location>
    <description>Bring the mock-ups</description>
    <url>https://cal.example.com/e/42</url>
    <start tz="Europe/Berlin">2026-03-03T14:00:00</start>
    <end tz="Europe/Berlin">2026-03-03T15:00:00</end>
    <rrule>FREQ=WEEKLY;COUNT=2</rrule>
    <alarm><trigger related="start">-PT15M</trigger></alarm>
  </event>
  <task>
    <uid>task-7</uid>
    <summary>Send the report</summary>
    <due>2026-03-04T17:00:00Z</due>
    <alarm><trigger>2026-03-04T16:00:00+00:00</trigger><repeat>2</repeat><duration>PT10M</duration></alarm>
  </task>
</notifications>`

func TestXMLExample(t *testing.T) {
	items, err := Parse("text/xml; charset=utf-8", []byte(xmlExample))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 {
		t.Fatalf("%d items", len(items))
	}
	ev, task := items[0], items[1]
	if ev.Kind != Event || ev.UID != "meeting-42@cal.example.com" || ev.Owner != "mailto:alice@example.com" ||
		ev.Organizer != "mailto:carol@example.com" || ev.Summary != "Design review & lunch" || ev.Location != "Room 4" ||
		ev.URL != "https://cal.example.com/e/42" {
		t.Fatalf("event %+v", ev)
	}
	equal(t, "event", nexts(sched(t, ev, time.UTC), time.Time{}, 5), []string{
		"2026-03-03T12:45:00Z 20260303T130000Z", "2026-03-10T12:45:00Z 20260310T130000Z"})
	if task.Kind != Task || task.Summary != "Send the report" {
		t.Fatalf("task %+v", task)
	}
	equal(t, "task", nexts(sched(t, task, time.UTC), time.Time{}, 5), []string{
		"2026-03-04T16:00:00Z ", "2026-03-04T16:10:00Z ", "2026-03-04T16:20:00Z "})
	// What the reminder carries for clients is text/calendar.
	enc := string(ev.Encode())
	for _, want := range []string{"BEGIN:VEVENT", "DTSTART;TZID=Europe/Berlin:20260303T140000", "SUMMARY:Design review & lunch", "TRIGGER:-PT15M", "PRODID:" + ProductID} {
		if !strings.Contains(enc, want) {
			t.Errorf("encoded item lacks %q:\n%s", want, enc)
		}
	}
	if _, err := Decode([]byte(enc)); err != nil {
		t.Fatal(err)
	}
}

// One element, no namespace, sniffed; all-day and floating dates; an
// instance.
func TestXMLSingle(t *testing.T) {
	items, err := Parse("", []byte(`<event><uid>d</uid><start>2026-03-03</start>
		<recurrence-id>2026-03-03</recurrence-id><status>cancelled</status>
		<alarm><trigger>-PT1H</trigger></alarm></event>`))
	if err != nil {
		t.Fatal(err)
	}
	it := items[0]
	if it.RecurrenceID != "20260303" || it.Cancelled() != "cancelled" {
		t.Fatalf("%+v", it)
	}
	n := sched(t, it, mustLoc("Asia/Tokyo")).Next(time.Time{})
	if len(n) != 1 || !n[0].At.Equal(utc("2026-03-02T14:00:00Z")) || !n[0].AllDay {
		t.Fatalf("%+v", n)
	}
	items, err = Parse("", []byte(`<task><summary>t</summary><due>2026-03-04T17:00:00</due><alarm><trigger related="end">-PT1H</trigger></alarm></task>`))
	if err != nil {
		t.Fatal(err)
	}
	n = sched(t, items[0], mustLoc("America/New_York")).Next(time.Time{})
	if len(n) != 1 || !n[0].At.Equal(utc("2026-03-04T21:00:00Z")) {
		t.Fatalf("floating due: %+v", n)
	}
}

func TestXMLInvalid(t *testing.T) {
	for name, doc := range map[string]string{
		"other namespace": `<event xmlns="urn:example"><uid>x</uid></event>`,
		"other root":      `<meeting/>`,
		"empty wrapper":   `<notifications xmlns="urn:parley:calendar:0"></notifications>`,
		"stray child":     `<notifications><event/><memo/></notifications>`,
		"bad date":        `<event><start>next tuesday</start></event>`,
		"unknown zone":    `<event><start tz="Mars/Olympus">2026-03-03T14:00:00</start></event>`,
		"end in task":     `<task><end>2026-03-03T14:00:00Z</end></task>`,
		"due in event":    `<event><due>2026-03-03T14:00:00Z</due></event>`,
		"bad trigger":     `<event><start>2026-03-03</start><alarm><trigger>soon</trigger></alarm></event>`,
		"no trigger":      `<event><start>2026-03-03</start><alarm/></event>`,
		"bad duration":    `<event><start>2026-03-03</start><duration>1 hour</duration></event>`,
		"unclosed":        `<event><uid>x</uid>`,
		"not xml":         `<event><uid>x</uid></evnt>`,
	} {
		if _, err := ParseXML([]byte(doc)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}
