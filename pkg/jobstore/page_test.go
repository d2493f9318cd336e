package jobstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/pkg/redistest"
)

// TestListPage: cursor pages cover every job once, newest first, even when
// many share a creation millisecond; filters apply across pages; owners
// see only their own; a forged cursor is refused.
func TestListPage(t *testing.T) {
	r := redistest.New(t)
	ctx := context.Background()
	st := New(r.Client, time.Hour)
	fixed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st.now = func() time.Time { return fixed } // all in one millisecond
	var ids []string
	for i := range 7 {
		j := &Job{ID: fmt.Sprintf("job_%032x", i), Type: "optimize", Queue: "default", Owner: "alice"}
		if i%2 == 1 {
			j.Type = "simulate"
		}
		if err := st.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
		if err := st.IndexAll(ctx, j); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	if err := st.Create(ctx, &Job{ID: "job_bob", Type: "optimize", Queue: "default", Owner: "bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Cancel(ctx, ids[2], "alice"); err != nil {
		t.Fatal(err)
	}
	all := func(o ListOptions) []string {
		var got []string
		for pages := 0; ; pages++ {
			p, err := st.ListPage(ctx, o)
			if err != nil || pages > 20 || len(p.Jobs) > o.Limit {
				t.Fatalf("page %d: %+v %v", pages, p, err)
			}
			for _, j := range p.Jobs {
				got = append(got, j.ID)
			}
			if p.NextCursor == "" {
				return got
			}
			o.Cursor = p.NextCursor
		}
	}
	got := all(ListOptions{Owner: "alice", Limit: 2})
	if fmt.Sprint(got) != fmt.Sprint([]string{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}) {
		t.Fatalf("pages %v", got)
	}
	if got := all(ListOptions{Owner: "alice", Limit: 2, Type: "simulate"}); fmt.Sprint(got) != fmt.Sprint([]string{ids[5], ids[3], ids[1]}) {
		t.Fatalf("simulate %v", got)
	}
	if got := all(ListOptions{Owner: "alice", Limit: 3, Status: StatusCanceled}); fmt.Sprint(got) != fmt.Sprint([]string{ids[2]}) {
		t.Fatalf("canceled %v", got)
	}
	if got := all(ListOptions{Owner: "bob", Limit: 5}); fmt.Sprint(got) != "[job_bob]" {
		t.Fatalf("bob %v", got)
	}
	if got := all(ListOptions{Limit: 100}); len(got) != 7 { // bob's was not indexed
		t.Fatalf("all %v", got)
	}
	if _, err := st.ListPage(ctx, ListOptions{Owner: "alice", Limit: 2, Cursor: "!!"}); err != ErrBadCursor {
		t.Fatalf("bad cursor: %v", err)
	}
}
