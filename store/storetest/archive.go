package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-im/parley/store"
)

// archiveBase is when the test archives start: a whole second, so that
// message i at archiveBase + i seconds has an exact time.
var archiveBase = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// archiveN appends n messages to owner's archive, message i with
// "with" withs[i % len(withs)] at archiveBase + i seconds and stanza
// <message id='i'/>, and returns their ids in order.
func archiveN(t *testing.T, s store.Store, owner string, n int, withs ...string) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		id, err := s.AppendArchive(context.Background(), owner, store.ArchivedMessage{With: withs[i%len(withs)],
			At: archiveBase.Add(time.Duration(i) * time.Second), Stanza: fmt.Appendf(nil, "<message id='%d'/>", i)})
		must(t, err)
		ids[i] = id
	}
	return ids
}

// pageIDs is the ids of a page, in its order.
func pageIDs(p store.ArchivePage) []string {
	out := make([]string, len(p.Messages))
	for i, m := range p.Messages {
		out[i] = m.ID
	}
	return out
}

func query(t *testing.T, s store.Store, owner string, q store.ArchiveQuery) store.ArchivePage {
	t.Helper()
	p, err := s.QueryArchive(context.Background(), owner, q)
	if err != nil {
		t.Fatalf("QueryArchive(%s, %+v): %v", owner, q, err)
	}
	return p
}

// wantPage checks a page's ids (ids[from:to]), completeness and count.
func wantPage(t *testing.T, what string, p store.ArchivePage, want []string, complete bool, count int) {
	t.Helper()
	if got := pageIDs(p); !slices.Equal(got, want) || p.Complete != complete || p.Count != count {
		t.Fatalf("%s: ids %v complete %v count %d, want %v complete %v count %d",
			what, got, p.Complete, p.Count, want, complete, count)
	}
}

// pick returns ids[i] for each i.
func pick(ids []string, is ...int) []string {
	out := make([]string, len(is))
	for k, i := range is {
		out[k] = ids[i]
	}
	return out
}

func testArchiveAppend(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	_, err := s.AppendArchive(ctx, carol, store.ArchivedMessage{With: bob, At: archiveBase, Stanza: []byte("<message/>")})
	wantErr(t, "AppendArchive for a missing owner", err, store.ErrNotFound)
	mustUser(t, s, carol)
	if p := query(t, s, carol, store.ArchiveQuery{Max: 10}); len(p.Messages) != 0 || p.Count != 0 || !p.Complete {
		t.Fatalf("a failed AppendArchive stored a message: %+v", p)
	}

	// Ids grow (as numbers: they are decimal row ids), across owners too.
	var last int64
	buf := make([]byte, 0, 64)
	for i := range 6 {
		owner := []string{alice, bob}[i%2]
		buf = fmt.Appendf(buf[:0], "<message id='%d'/>", i) // the caller reuses buf
		id, err := s.AppendArchive(ctx, owner, store.ArchivedMessage{ID: "ignored", With: carol, At: archiveBase, Stanza: buf})
		must(t, err)
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= last {
			t.Fatalf("id %q after %d: not a greater decimal number (%v)", id, last, err)
		}
		last = n
	}
	p := query(t, s, alice, store.ArchiveQuery{Max: 10})
	if len(p.Messages) != 3 || string(p.Messages[0].Stanza) != "<message id='0'/>" || string(p.Messages[2].Stanza) != "<message id='4'/>" ||
		p.Messages[0].With != carol {
		t.Fatalf("alice's archive = %+v", p.Messages)
	}
	p.Messages[0].Stanza[1] = 'X'
	if again := query(t, s, alice, store.ArchiveQuery{Max: 1}); string(again.Messages[0].Stanza) != "<message id='0'/>" {
		t.Fatal("QueryArchive returned the store's own stanza")
	}

	// Times: UTC, kept to the microsecond (finer may be truncated, never rounded up).
	fine := time.Date(2026, 7, 8, 9, 10, 11, 123_456_789, time.FixedZone("CEST", 2*3600))
	id, err := s.AppendArchive(ctx, carol, store.ArchivedMessage{With: alice, At: fine, Stanza: []byte("<message/>")})
	must(t, err)
	got := query(t, s, carol, store.ArchiveQuery{Max: 1}).Messages[0]
	if got.ID != id || got.At.Location() != time.UTC || got.At.After(fine) || got.At.Before(fine.Truncate(time.Microsecond)) {
		t.Fatalf("At %v came back as %v (id %s, want %s)", fine, got.At, got.ID, id)
	}
	// Microseconds, not milliseconds: a Start a microsecond after the
	// message (as stored) excludes it.
	if p := query(t, s, carol, store.ArchiveQuery{Start: fine.Truncate(time.Microsecond).Add(time.Microsecond), Max: 1}); p.Count != 0 {
		t.Fatalf("Start 1µs after the message still selects it: %+v", p)
	}
	if p := query(t, s, carol, store.ArchiveQuery{Start: fine.Truncate(time.Microsecond), End: fine.Truncate(time.Microsecond), Max: 1}); p.Count != 1 {
		t.Fatalf("Start = End = the message's time does not select it: %+v", p)
	}
	_, err = s.QueryArchive(ctx, carol, store.ArchiveQuery{})
	wantErr(t, "QueryArchive with Max 0", err, store.ErrInvalid)
}

func testArchiveAppendConcurrent(t *testing.T, s store.Store) {
	mustUser(t, s, alice)
	const writers, each = 4, 25
	var wg sync.WaitGroup
	ids := make([][]string, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id, err := s.AppendArchive(context.Background(), alice, store.ArchivedMessage{With: bob, At: archiveBase,
					Stanza: fmt.Appendf(nil, "<message id='%d-%d'/>", w, i)})
				if err != nil {
					t.Error(err)
					return
				}
				ids[w] = append(ids[w], id)
			}
		}()
	}
	wg.Wait()
	all := slices.Concat(ids...)
	slices.Sort(all)
	if len(slices.Compact(all)) != writers*each {
		t.Fatalf("%d distinct ids for %d messages", len(all), writers*each)
	}
	if p := query(t, s, alice, store.ArchiveQuery{Max: 1000}); p.Count != writers*each || len(p.Messages) != writers*each {
		t.Fatalf("count %d, %d messages", p.Count, len(p.Messages))
	}
}

func testArchiveSelection(t *testing.T, s store.Store) {
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	ids := archiveN(t, s, alice, 10, bob, carol) // even: bob, odd: carol; message i at base + i s
	other := archiveN(t, s, bob, 2, alice)
	at := func(i int) time.Time { return archiveBase.Add(time.Duration(i) * time.Second) }
	cases := []struct {
		name string
		q    store.ArchiveQuery
		want []int
	}{
		{"all", store.ArchiveQuery{}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"with", store.ArchiveQuery{With: bob}, []int{0, 2, 4, 6, 8}},
		{"with nobody", store.ArchiveQuery{With: "nobody@example.com"}, nil},
		{"start inclusive", store.ArchiveQuery{Start: at(7)}, []int{7, 8, 9}},
		{"start just after", store.ArchiveQuery{Start: at(7).Add(time.Microsecond)}, []int{8, 9}},
		{"start in another zone", store.ArchiveQuery{Start: at(7).In(time.FixedZone("X", -5*3600))}, []int{7, 8, 9}},
		{"end inclusive", store.ArchiveQuery{End: at(2)}, []int{0, 1, 2}},
		{"end just before", store.ArchiveQuery{End: at(2).Add(-time.Microsecond)}, []int{0, 1}},
		{"start and end", store.ArchiveQuery{Start: at(3), End: at(6)}, []int{3, 4, 5, 6}},
		{"start after end", store.ArchiveQuery{Start: at(6), End: at(3)}, nil},
		{"with start end", store.ArchiveQuery{With: carol, Start: at(3), End: at(6)}, []int{3, 5}},
		{"ids", store.ArchiveQuery{IDs: pick(ids, 8, 1, 4)}, []int{1, 4, 8}},
		{"ids unknown ignored", store.ArchiveQuery{IDs: []string{ids[3], "999999999", "x", "", "0" + ids[5], other[0]}}, []int{3}},
		{"ids all unknown", store.ArchiveQuery{IDs: []string{"999999999", other[1]}}, nil},
		{"ids and with", store.ArchiveQuery{IDs: pick(ids, 1, 2, 3, 4), With: bob}, []int{2, 4}},
	}
	for _, c := range cases {
		c.q.Max = 100
		p := query(t, s, alice, c.q)
		wantPage(t, c.name, p, pick(ids, c.want...), true, len(c.want))
	}
	// What comes back is what went in.
	m := query(t, s, alice, store.ArchiveQuery{IDs: ids[3:4], Max: 1}).Messages[0]
	if m.With != carol || !m.At.Equal(at(3)) || string(m.Stanza) != "<message id='3'/>" {
		t.Fatalf("message 3 = %+v", m)
	}
}

// Forward and backward paging through a 25-message archive, 10 a page.
func testArchivePaging(t *testing.T, s store.Store) {
	mustUser(t, s, alice)
	ids := archiveN(t, s, alice, 25, bob)
	var forward [][]string
	q := store.ArchiveQuery{Max: 10}
	for _, want := range []struct {
		from, to int
		complete bool
	}{{0, 10, false}, {10, 20, false}, {20, 25, true}} {
		p := query(t, s, alice, q)
		wantPage(t, fmt.Sprintf("forward after %q", q.AfterID), p, ids[want.from:want.to], want.complete, 25)
		forward = append(forward, pageIDs(p))
		q.AfterID = p.Messages[len(p.Messages)-1].ID
	}
	wantPage(t, "after the last message", query(t, s, alice, q), nil, true, 25)

	var backward [][]string
	q = store.ArchiveQuery{Max: 10, Last: true}
	for _, want := range []struct {
		from, to int
		complete bool
	}{{15, 25, false}, {5, 15, false}, {0, 5, true}} {
		p := query(t, s, alice, q)
		wantPage(t, fmt.Sprintf("backward before %q", q.BeforeID), p, ids[want.from:want.to], want.complete, 25)
		backward = append(backward, pageIDs(p))
		q.BeforeID = p.Messages[0].ID
	}
	wantPage(t, "before the first message", query(t, s, alice, q), nil, true, 25)
	slices.Reverse(backward)
	if fmt.Sprint(slices.Concat(backward...)) != fmt.Sprint(slices.Concat(forward...)) {
		t.Fatalf("backward pages %v, forward %v", backward, forward)
	}

	// Exactly Max left: complete, no empty page needed.
	wantPage(t, "last 5 forward", query(t, s, alice, store.ArchiveQuery{AfterID: ids[19], Max: 5}), ids[20:], true, 25)
	wantPage(t, "first 5 backward", query(t, s, alice, store.ArchiveQuery{BeforeID: ids[5], Last: true, Max: 5}), ids[:5], true, 25)
	// Last alone: the last page of the whole selection.
	wantPage(t, "last page", query(t, s, alice, store.ArchiveQuery{Last: true, Max: 3}), ids[22:], false, 25)
	wantPage(t, "last page, Max beyond", query(t, s, alice, store.ArchiveQuery{Last: true, Max: 100}), ids, true, 25)
	// BeforeID without Last: the first messages before it.
	wantPage(t, "before, forward", query(t, s, alice, store.ArchiveQuery{BeforeID: ids[10], Max: 4}), ids[:4], false, 25)
	// Ranges (XEP-0313 after-id and before-id together): complete at the
	// far bound, whichever the direction.
	wantPage(t, "range forward", query(t, s, alice, store.ArchiveQuery{AfterID: ids[2], BeforeID: ids[8], Max: 3}), ids[3:6], false, 25)
	wantPage(t, "range forward end", query(t, s, alice, store.ArchiveQuery{AfterID: ids[5], BeforeID: ids[8], Max: 3}), ids[6:8], true, 25)
	wantPage(t, "range backward", query(t, s, alice, store.ArchiveQuery{AfterID: ids[2], BeforeID: ids[8], Max: 3, Last: true}), ids[5:8], false, 25)
	wantPage(t, "range backward end", query(t, s, alice, store.ArchiveQuery{AfterID: ids[2], BeforeID: ids[5], Max: 3, Last: true}), ids[3:5], true, 25)
	wantPage(t, "empty range", query(t, s, alice, store.ArchiveQuery{AfterID: ids[4], BeforeID: ids[5], Max: 3}), nil, true, 25)
}

// Paging through a filtered selection: the bounds may be messages
// outside it, and Count is the selection's.
func testArchivePagingFiltered(t *testing.T, s store.Store) {
	mustUser(t, s, alice)
	ids := archiveN(t, s, alice, 12, bob, carol, carol) // bob: 0 3 6 9
	wantPage(t, "with bob", query(t, s, alice, store.ArchiveQuery{With: bob, Max: 2}), pick(ids, 0, 3), false, 4)
	wantPage(t, "with bob after 4", query(t, s, alice, store.ArchiveQuery{With: bob, AfterID: ids[4], Max: 2}), pick(ids, 6, 9), true, 4)
	wantPage(t, "with bob, last", query(t, s, alice, store.ArchiveQuery{With: bob, Last: true, Max: 3}), pick(ids, 3, 6, 9), false, 4)
	wantPage(t, "with bob, before 3", query(t, s, alice, store.ArchiveQuery{With: bob, BeforeID: ids[3], Last: true, Max: 3}), pick(ids, 0), true, 4)
	wantPage(t, "with bob from 5s", query(t, s, alice, store.ArchiveQuery{With: bob, Start: archiveBase.Add(5 * time.Second),
		AfterID: ids[6], Max: 1}), pick(ids, 9), true, 2)
}

// A batch stores its messages under the caller's IDs; a message for an
// unknown owner or with a taken ID fails alone; LastArchiveID follows.
func testArchiveBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	before := archiveN(t, s, alice, 1, bob)
	last, err := s.LastArchiveID(ctx)
	must(t, err)
	if last != before[0] {
		t.Fatalf("LastArchiveID %s after appending %s", last, before[0])
	}
	base, _ := strconv.ParseInt(last, 10, 64)
	id := func(i int) string { return strconv.FormatInt(base+1000+int64(i), 10) }
	msg := func(i int) store.ArchivedMessage {
		return store.ArchivedMessage{ID: id(i), With: carol, At: archiveBase.Add(time.Duration(i) * time.Second), Stanza: fmt.Appendf(nil, "<message id='%d'/>", i)}
	}
	taken := msg(4)
	taken.ID = before[0]
	errs, err := s.AppendArchiveBatch(ctx, []store.ArchiveAppend{
		{Owner: alice, Message: msg(0)}, {Owner: "nobody@example.com", Message: msg(1)}, {Owner: bob, Message: msg(2)},
		{Owner: alice, Message: msg(3)}, {Owner: alice, Message: taken}})
	must(t, err)
	if errs[0] != nil || errs[2] != nil || errs[3] != nil {
		t.Fatalf("batch errors %v", errs)
	}
	wantErr(t, "batch row for an unknown owner", errs[1], store.ErrNotFound)
	wantErr(t, "batch row with a taken id", errs[4], store.ErrExists)
	wantPage(t, "alice after the batch", query(t, s, alice, store.ArchiveQuery{Max: 10}), []string{before[0], id(0), id(3)}, true, 3)
	wantPage(t, "bob after the batch", query(t, s, bob, store.ArchiveQuery{Max: 10}), []string{id(2)}, true, 1)
	if last, _ := s.LastArchiveID(ctx); last != id(3) {
		t.Fatalf("LastArchiveID %s, want %s", last, id(3))
	}
	// Appends without a chosen ID continue above.
	next, err := s.AppendArchive(ctx, alice, msg(9))
	must(t, err)
	if n, _ := strconv.ParseInt(next, 10, 64); n <= base+1003 {
		t.Fatalf("AppendArchive after the batch gave %s", next)
	}
	_, err = s.AppendArchiveBatch(ctx, []store.ArchiveAppend{{Owner: alice, Message: store.ArchivedMessage{ID: "x"}}})
	wantErr(t, "batch with a malformed id", err, store.ErrInvalid)
}

// The #extended range bounds narrow the selection (and the count);
// paging works inside the range.
func testArchiveRange(t *testing.T, s store.Store) {
	mustUser(t, s, alice)
	ids := archiveN(t, s, alice, 10, bob)
	r := store.ArchiveQuery{RangeAfterID: ids[1], RangeBeforeID: ids[8], Max: 4} // 2..7
	wantPage(t, "range, first page", query(t, s, alice, r), pick(ids, 2, 3, 4, 5), false, 6)
	r.AfterID = ids[5]
	wantPage(t, "range, after 5", query(t, s, alice, r), pick(ids, 6, 7), true, 6)
	r.AfterID, r.Last = "", true
	wantPage(t, "range, last page", query(t, s, alice, r), pick(ids, 4, 5, 6, 7), false, 6)
	_, err := s.QueryArchive(context.Background(), alice, store.ArchiveQuery{RangeAfterID: "999999", Max: 1})
	wantErr(t, "unknown RangeAfterID", err, store.ErrNotFound)
}

func testArchiveUnknownIDs(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	ids := archiveN(t, s, alice, 3, bob)
	other := archiveN(t, s, bob, 1, alice)
	n, _ := strconv.ParseInt(ids[2], 10, 64)
	for _, id := range []string{strconv.FormatInt(n+1000, 10), "abc", "-1", "0", " " + ids[0], "0" + ids[0], "+" + ids[0], other[0]} {
		for _, q := range []store.ArchiveQuery{{AfterID: id, Max: 5}, {BeforeID: id, Max: 5}, {BeforeID: id, Last: true, Max: 5},
			{AfterID: ids[0], BeforeID: id, Max: 5}} {
			_, err := s.QueryArchive(ctx, alice, q)
			wantErr(t, fmt.Sprintf("QueryArchive(%+v)", q), err, store.ErrNotFound)
		}
	}
	// A bound outside the selection is still a message of the archive.
	wantPage(t, "bound outside the selection", query(t, s, alice, store.ArchiveQuery{With: "nobody@example.com", AfterID: ids[0], Max: 5}), nil, true, 0)
	// Nor may a pruned message serve as a bound.
	_, err := s.PruneArchive(ctx, archiveBase.Add(time.Second))
	must(t, err)
	_, err = s.QueryArchive(ctx, alice, store.ArchiveQuery{AfterID: ids[0], Max: 5})
	wantErr(t, "AfterID of a pruned message", err, store.ErrNotFound)
}

func testArchivePrefs(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	p, err := s.ArchivePrefs(ctx, alice)
	must(t, err)
	if !reflect.DeepEqual(p, store.ArchivePrefs{}) {
		t.Fatalf("prefs never set = %+v, want the zero value", p)
	}
	if p, err := s.ArchivePrefs(ctx, "nobody@example.com"); err != nil || !reflect.DeepEqual(p, store.ArchivePrefs{}) {
		t.Fatalf("prefs of a stranger = %+v, %v", p, err)
	}
	in := store.ArchivePrefs{Default: "roster", Always: []string{carol, bob, carol}, Never: []string{"zed@example.com", "eve@example.com"}}
	must(t, s.SetArchivePrefs(ctx, alice, in))
	in.Always[0] = "changed@example.com" // the caller reuses its slices
	p, err = s.ArchivePrefs(ctx, alice)
	must(t, err)
	want := store.ArchivePrefs{Default: "roster", Always: []string{bob, carol}, Never: []string{"eve@example.com", "zed@example.com"}}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("prefs = %+v, want %+v (sorted, no duplicates)", p, want)
	}
	p.Always[0] = "x@example.com"
	if again, _ := s.ArchivePrefs(ctx, alice); !reflect.DeepEqual(again, want) {
		t.Fatal("ArchivePrefs returned the store's own slices")
	}
	must(t, s.SetArchivePrefs(ctx, alice, store.ArchivePrefs{Default: "never"}))
	if p, _ := s.ArchivePrefs(ctx, alice); p.Default != "never" || len(p.Always) != 0 || len(p.Never) != 0 {
		t.Fatalf("replaced prefs = %+v", p)
	}
	if p, _ := s.ArchivePrefs(ctx, bob); !reflect.DeepEqual(p, store.ArchivePrefs{}) {
		t.Fatalf("SetArchivePrefs changed another user's: %+v", p)
	}
	wantErr(t, "SetArchivePrefs for a missing owner", s.SetArchivePrefs(ctx, carol, want), store.ErrNotFound)
	mustUser(t, s, carol)
	if p, _ := s.ArchivePrefs(ctx, carol); !reflect.DeepEqual(p, store.ArchivePrefs{}) {
		t.Fatalf("a failed SetArchivePrefs stored %+v", p)
	}
}

func testArchivePrune(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	a := archiveN(t, s, alice, 10, bob)
	b := archiveN(t, s, bob, 4, alice)
	// Before message 3's time: 0, 1, 2 of each go; 3 (exactly at t) stays.
	n, err := s.PruneArchive(ctx, archiveBase.Add(3*time.Second))
	must(t, err)
	if n != 6 {
		t.Fatalf("PruneArchive removed %d, want 6", n)
	}
	wantPage(t, "alice after prune", query(t, s, alice, store.ArchiveQuery{Max: 100}), a[3:], true, 7)
	wantPage(t, "bob after prune", query(t, s, bob, store.ArchiveQuery{Max: 100}), b[3:], true, 1)
	if n, err := s.PruneArchive(ctx, archiveBase.Add(3*time.Second)); err != nil || n != 0 {
		t.Fatalf("PruneArchive again removed %d, %v", n, err)
	}
	// Sub-millisecond bound: a message a microsecond before t goes, one at t stays.
	t0 := archiveBase.Add(time.Hour + 500*time.Microsecond)
	for _, at := range []time.Time{t0.Add(-time.Microsecond), t0} {
		_, err := s.AppendArchive(ctx, alice, store.ArchivedMessage{With: carol, At: at, Stanza: []byte("<message/>")})
		must(t, err)
	}
	if n, err := s.PruneArchive(ctx, t0); err != nil || n != 9 {
		t.Fatalf("PruneArchive(%v) removed %d, %v; want 9", t0, n, err)
	}
	if p := query(t, s, alice, store.ArchiveQuery{Max: 100}); p.Count != 1 || !p.Messages[0].At.Equal(t0) {
		t.Fatalf("after pruning to %v: %+v", t0, p)
	}
	// Ids are not reused after a prune.
	last, _ := strconv.ParseInt(query(t, s, alice, store.ArchiveQuery{Max: 1}).Messages[0].ID, 10, 64)
	must(t, s.DeleteUser(ctx, bob))
	_, err = s.PruneArchive(ctx, archiveBase.Add(24*time.Hour))
	must(t, err)
	id := archiveN(t, s, alice, 1, bob)[0]
	if n, _ := strconv.ParseInt(id, 10, 64); n <= last {
		t.Fatalf("id %s after pruning id %d", id, last)
	}
}

func testArchiveDeleteUser(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	ids := archiveN(t, s, alice, 5, bob)
	kept := archiveN(t, s, bob, 3, alice)
	must(t, s.SetArchivePrefs(ctx, alice, store.ArchivePrefs{Default: "always", Never: []string{carol}}))
	must(t, s.SetArchivePrefs(ctx, bob, store.ArchivePrefs{Default: "never"}))
	must(t, s.DeleteUser(ctx, alice))
	mustUser(t, s, alice)
	wantPage(t, "re-created alice", query(t, s, alice, store.ArchiveQuery{Max: 10}), nil, true, 0)
	_, err := s.QueryArchive(ctx, alice, store.ArchiveQuery{AfterID: ids[0], Max: 10})
	wantErr(t, "AfterID from the deleted archive", err, store.ErrNotFound)
	if p, _ := s.ArchivePrefs(ctx, alice); !reflect.DeepEqual(p, store.ArchivePrefs{}) {
		t.Fatalf("re-created alice has prefs %+v", p)
	}
	wantPage(t, "bob", query(t, s, bob, store.ArchiveQuery{Max: 10}), kept, true, 3)
	if p, _ := s.ArchivePrefs(ctx, bob); p.Default != "never" {
		t.Fatalf("bob's prefs = %+v", p)
	}

	// ImportAccounts with replace deletes the archive too; without, keeps it.
	archiveN(t, s, alice, 2, bob)
	must(t, s.SetArchivePrefs(ctx, alice, store.ArchivePrefs{Default: "always"}))
	_, err = s.ImportAccounts(ctx, []store.Account{{User: store.User{JID: alice}}}, false)
	must(t, err)
	if p := query(t, s, alice, store.ArchiveQuery{Max: 10}); p.Count != 2 {
		t.Fatalf("an import that skipped alice changed her archive: %+v", p)
	}
	_, err = s.ImportAccounts(ctx, []store.Account{{User: store.User{JID: alice}}}, true)
	must(t, err)
	wantPage(t, "replaced alice", query(t, s, alice, store.ArchiveQuery{Max: 10}), nil, true, 0)
	if p, _ := s.ArchivePrefs(ctx, alice); !reflect.DeepEqual(p, store.ArchivePrefs{}) {
		t.Fatalf("replaced alice has prefs %+v", p)
	}
	if p := query(t, s, bob, store.ArchiveQuery{Max: 10}); p.Count != 3 || !strings.Contains(string(p.Messages[0].Stanza), "id='0'") {
		t.Fatalf("bob's archive after alice was replaced: %+v", p)
	}
}

// An archive is in time order, then id order for the same microsecond,
// whatever order the messages were appended in; paging follows it.
func testArchiveTimeOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	at := func(i int) time.Time { return archiveBase.Add(time.Duration(i) * time.Second) }
	// Appended as times 2, 0, 1, 1, 3: ids grow, times do not.
	var ids []string
	for _, i := range []int{2, 0, 1, 1, 3} {
		id, err := s.AppendArchive(ctx, alice, store.ArchivedMessage{With: bob, At: at(i), Stanza: fmt.Appendf(nil, "<message t='%d'/>", i)})
		must(t, err)
		ids = append(ids, id)
	}
	order := pick(ids, 1, 2, 3, 0, 4) // time 0, 1 (older id), 1, 2, 3
	wantPage(t, "whole archive", query(t, s, alice, store.ArchiveQuery{Max: 10}), order, true, 5)
	wantPage(t, "conversation", query(t, s, alice, store.ArchiveQuery{With: bob, Max: 10}), order, true, 5)
	wantPage(t, "after the first of a tie", query(t, s, alice, store.ArchiveQuery{AfterID: ids[2], Max: 2}), pick(ids, 3, 0), false, 5)
	wantPage(t, "before the second of a tie", query(t, s, alice, store.ArchiveQuery{BeforeID: ids[3], Last: true, Max: 2}), pick(ids, 1, 2), true, 5)
	wantPage(t, "after the newest id, an older time", query(t, s, alice, store.ArchiveQuery{AfterID: ids[0], Max: 10}), pick(ids, 4), true, 5)
	wantPage(t, "range", query(t, s, alice, store.ArchiveQuery{RangeAfterID: ids[2], RangeBeforeID: ids[4], Max: 10}), pick(ids, 3, 0), true, 2)
	wantPage(t, "ids", query(t, s, alice, store.ArchiveQuery{IDs: pick(ids, 4, 0, 1), Max: 10}), pick(ids, 1, 0, 4), true, 3)
	wantPage(t, "time", query(t, s, alice, store.ArchiveQuery{Start: at(1), End: at(2), Max: 2}), pick(ids, 2, 3), false, 3)
}

// MaxBytes cuts a page short (never below one message); Complete then
// says there is more.
func testArchiveMaxBytes(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	sizes := []int{100, 100, 1000, 100, 100}
	var ids []string
	for i, n := range sizes {
		id, err := s.AppendArchive(ctx, alice, store.ArchivedMessage{With: bob, At: archiveBase.Add(time.Duration(i) * time.Second),
			Stanza: []byte("<message>" + strings.Repeat("x", n-19) + "</message>")})
		must(t, err)
		ids = append(ids, id)
	}
	for _, c := range []struct {
		name     string
		q        store.ArchiveQuery
		want     []int
		complete bool
	}{
		{"no budget", store.ArchiveQuery{Max: 10}, []int{0, 1, 2, 3, 4}, true},
		{"budget stops before the large one", store.ArchiveQuery{Max: 10, MaxBytes: 500}, []int{0, 1}, false},
		{"the large one alone", store.ArchiveQuery{Max: 10, MaxBytes: 500, AfterID: ids[1]}, []int{2}, false},
		{"budget exactly", store.ArchiveQuery{Max: 10, MaxBytes: 200, AfterID: ids[2]}, []int{3, 4}, true},
		{"Max first", store.ArchiveQuery{Max: 1, MaxBytes: 500}, []int{0}, false},
		{"last page, from the end", store.ArchiveQuery{Max: 10, MaxBytes: 500, Last: true}, []int{3, 4}, false},
		{"last page, the large one alone", store.ArchiveQuery{Max: 10, MaxBytes: 500, Last: true, BeforeID: ids[3]}, []int{2}, false},
	} {
		wantPage(t, c.name, query(t, s, alice, c.q), pick(ids, c.want...), c.complete, 5)
	}
}

// ArchiveUsage follows appends (single and batched, per owner), the
// retention prune and account deletion.
func testArchiveUsage(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUser(t, s, alice)
	mustUser(t, s, bob)
	usage := func(owner string) store.Usage {
		t.Helper()
		u, err := s.ArchiveUsage(ctx, owner)
		must(t, err)
		return u
	}
	if u := usage(alice); u != (store.Usage{}) {
		t.Fatalf("empty archive: %+v", u)
	}
	archiveN(t, s, alice, 3, bob) // <message id='0'/> ... 17 bytes each
	if u := usage(alice); u != (store.Usage{Messages: 3, Bytes: 51}) {
		t.Fatalf("after 3 appends: %+v", u)
	}
	last, _ := s.LastArchiveID(ctx)
	base, _ := strconv.ParseInt(last, 10, 64)
	m := func(i int, n int) store.ArchivedMessage {
		return store.ArchivedMessage{ID: strconv.FormatInt(base+int64(i), 10), With: carol, At: archiveBase.Add(time.Hour),
			Stanza: []byte("<message>" + strings.Repeat("x", n-19) + "</message>")}
	}
	errs, err := s.AppendArchiveBatch(ctx, []store.ArchiveAppend{{Owner: alice, Message: m(1, 100)}, {Owner: bob, Message: m(2, 200)},
		{Owner: alice, Message: m(3, 100)}, {Owner: "nobody@example.com", Message: m(4, 300)}, {Owner: bob, Message: m(1, 50)}})
	must(t, err)
	if errs[3] == nil || errs[4] == nil {
		t.Fatalf("batch errors %v", errs)
	}
	if u := usage(alice); u != (store.Usage{Messages: 5, Bytes: 251}) {
		t.Fatalf("alice after the batch: %+v", u)
	}
	if u := usage(bob); u != (store.Usage{Messages: 1, Bytes: 200}) {
		t.Fatalf("bob after the batch (a failed row counts nothing): %+v", u)
	}
	if _, err := s.PruneArchive(ctx, archiveBase.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if u := usage(alice); u != (store.Usage{Messages: 2, Bytes: 200}) {
		t.Fatalf("alice after the prune: %+v", u)
	}
	must(t, s.DeleteUser(ctx, bob))
	mustUser(t, s, bob)
	if u := usage(bob); u != (store.Usage{}) {
		t.Fatalf("re-created bob: %+v", u)
	}
}
