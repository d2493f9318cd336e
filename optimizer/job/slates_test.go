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
		return &Request{Doc: &schema.OptimizeRequest{SlateID: id, Site: site, Sport: sport, Mode: mode}}
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

func TestResolvePlayers(t *testing.T) {
	ctx := context.Background()
	ps, err := resolvePlayers(ctx, newFakeSlates(), "sl_nfl", "draftkings", "nfl", "classic")
	if err != nil || len(ps) != 1 || ps[0].ID != "1" {
		t.Fatalf("players %v, %v", ps, err)
	}
	if ps, err := resolvePlayers(ctx, nil, "", "draftkings", "nfl", ""); ps != nil || err != nil {
		t.Fatalf("no slate_id: %v %v", ps, err)
	}
	if _, err := resolvePlayers(ctx, newFakeSlates(), "sl_x", "draftkings", "nfl", ""); Code(err) != CodeInvalidRequest {
		t.Fatalf("unknown slate: %v (%s), want invalid_request", err, Code(err))
	}
	if _, err := resolvePlayers(ctx, &fakeSlates{err: errors.New("down")}, "sl_nfl", "draftkings", "nfl", ""); !IsTransient(err) {
		t.Fatalf("store down: %v, want transient", err)
	}
}
