package job

import (
	"context"
	"errors"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// fakeSlates is a slate store in memory; err, when set, is every lookup's
// answer (a store that cannot be reached).
type fakeSlates struct {
	slates map[string]*StoredSlate
	rows   []schema.CalibrationRow
	err    error
}

func (f *fakeSlates) Slate(_ context.Context, id string) (*StoredSlate, error) {
	if f.err != nil {
		return nil, f.err
	}
	s, ok := f.slates[id]
	if !ok {
		return nil, ErrSlateNotFound
	}
	return s, nil
}

func (f *fakeSlates) History(_ context.Context, ids []string) ([]schema.CalibrationRow, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.rows, nil
}

func newFakeSlates() *fakeSlates {
	return &fakeSlates{slates: map[string]*StoredSlate{
		"sl_nfl": {Site: slate.DraftKings, Sport: slate.NFL, Mode: slate.Classic,
			Players: []slate.Player{{ID: "1", Name: "A", Positions: []string{"QB"}, Team: "KC", Salary: 7000, Projection: 20}}},
	}}
}

func TestCheckSlates(t *testing.T) {
	ctx := context.Background()
	opt := func(id, site, sport, mode string) *Request {
		return &Request{Doc: &schema.OptimizeRequest{SlateID: id, Site: site, Sport: sport, Mode: mode, Lineups: 1}}
	}
	cal := &Request{Doc: &CalibrateDoc{schema.CalibrateRequest{Sport: "nfl", Source: &schema.CalibrateSource{SlateIDs: []string{"sl_nfl", "sl_x"}}}}}
	down := errors.New("connection refused")
	tests := []struct {
		name   string
		slates Slates
		req    *Request
		field  string // the field a ValidationError names; "" for nil
		raw    error  // an error passed through as it is
	}{
		{"stored", newFakeSlates(), opt("sl_nfl", "dk", "NFL", ""), "", nil},
		{"inline players", newFakeSlates(), opt("", "draftkings", "nfl", ""), "", nil},
		{"unknown", newFakeSlates(), opt("sl_x", "draftkings", "nfl", ""), "slate_id", nil},
		{"other sport", newFakeSlates(), opt("sl_nfl", "draftkings", "nba", ""), "slate_id", nil},
		{"other mode", newFakeSlates(), opt("sl_nfl", "draftkings", "nfl", "showdown"), "slate_id", nil},
		{"no store", nil, opt("sl_nfl", "draftkings", "nfl", ""), "slate_id", nil},
		{"store down", &fakeSlates{err: down}, opt("sl_nfl", "draftkings", "nfl", ""), "", down},
		{"calibrate history", newFakeSlates(), cal, "source.slate_ids[1]", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSlates(ctx, tc.slates, tc.req)
			var ve *schema.ValidationError
			switch {
			case tc.raw != nil:
				if !errors.Is(err, tc.raw) || errors.As(err, &ve) {
					t.Fatalf("%v, want %v as it is", err, tc.raw)
				}
			case tc.field == "":
				if err != nil {
					t.Fatal(err)
				}
			default:
				if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Field != tc.field {
					t.Fatalf("%v, want a validation error on %s", err, tc.field)
				}
			}
		})
	}
}

// TestResolve: a document naming a slate_id decodes without its players,
// is checked and resolved with the stored ones (a copy), and runs; a
// calibrate source becomes rows.
func TestResolve(t *testing.T) {
	ctx := context.Background()
	slates := newFakeSlates()
	slates.rows = []schema.CalibrationRow{{PlayerID: "1", Position: "QB", Team: "KC", Date: "2019-09-08", Projection: 20, Actual: 25}}
	reg := Standard(Services{Slates: slates})
	k, _ := reg.Lookup(TypeOptimize)
	req, err := k.Decode([]byte(`{"site":"draftkings","sport":"nfl","slate_id":"sl_nfl","lineups":1}`))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := CheckSlates(ctx, slates, req); err != nil {
		t.Fatalf("check: %v", err)
	}
	r, err := Resolve(ctx, slates, req.Doc)
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	got := r.(*schema.OptimizeRequest)
	if got.SlateID != "" || len(got.Players) != 1 || got.Players[0].ID != "1" {
		t.Fatalf("resolved: %+v", got)
	}
	if orig := req.Doc.(*schema.OptimizeRequest); orig.SlateID != "sl_nfl" || orig.Players != nil {
		t.Fatalf("the decoded document changed: %+v", orig)
	}
	if _, err := k.Decode([]byte(`{"site":"draftkings","sport":"nfl","slate_id":"sl_nfl","lineups":1,` +
		`"players":[{"id":"1","name":"A","positions":["QB"],"team":"KC","salary":7000,"projection":20}]}`)); err == nil {
		t.Fatal("decode of slate_id with players: no error")
	} else if ve := (*schema.ValidationError)(nil); !errors.As(err, &ve) || ve.Errors[0].Field != "slate_id" {
		t.Fatalf("slate_id with players: %v", err)
	}
	// An invalid document naming a slate is refused once resolved.
	bad, err := k.Decode([]byte(`{"site":"draftkings","sport":"nfl","slate_id":"sl_nfl","lineups":0}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSlates(ctx, slates, bad); Code(err) != CodeInvalidRequest {
		t.Fatalf("lineups 0 with a slate: %v", err)
	}
	// Calibrate: source.slate_ids become the store's rows.
	ck, _ := reg.Lookup(TypeCalibrate)
	creq, err := ck.Decode([]byte(`{"sport":"nfl","source":{"slate_ids":["sl_nfl"]}}`))
	if err != nil {
		t.Fatalf("decode calibrate: %v", err)
	}
	cr, err := Resolve(ctx, slates, creq.Doc)
	if err != nil {
		t.Fatal(err)
	}
	if c := cr.(*CalibrateDoc); c.Source != nil || len(c.Rows) != 1 || c.Rows[0].Actual != 25 {
		t.Fatalf("resolved calibrate: %+v", c)
	}
	nba, _ := ck.Decode([]byte(`{"sport":"nba","source":{"slate_ids":["sl_nfl"]}}`))
	if err := CheckSlates(ctx, slates, nba); Code(err) != CodeInvalidRequest {
		t.Fatalf("nba calibration on an nfl slate: %v", err)
	}
}

// TestResolvingRun: the compute of a job naming a slate fails as
// invalid_request when the slate is unknown or there is no store (a local
// run), and is retried when the store cannot be reached.
func TestResolvingRun(t *testing.T) {
	ctx := context.Background()
	body := []byte(`{"site":"draftkings","sport":"nfl","slate_id":"sl_x","lineups":1}`)
	for name, tc := range map[string]struct {
		slates    Slates
		transient bool
	}{
		"unknown slate": {newFakeSlates(), false},
		"no store":      {nil, false},
		"store down":    {&fakeSlates{err: errors.New("connection refused")}, true},
	} {
		t.Run(name, func(t *testing.T) {
			k, _ := Standard(Services{Slates: tc.slates}).Lookup(TypeOptimize)
			req, err := k.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			_, err = k.Run(ctx, req, func(int, int, string) {})
			if IsTransient(err) != tc.transient || (!tc.transient && Code(err) != CodeInvalidRequest) {
				t.Fatalf("%v (transient %v, code %s)", err, IsTransient(err), Code(err))
			}
		})
	}
}
