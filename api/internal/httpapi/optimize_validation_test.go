package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// TestOptimizeRefusedAtSubmit: what the optimize document alone shows to be
// wrong (unknown ids, positions or teams of another slate, roster-sized
// fields above the roster, slate_id) is a 422 at submit naming the field,
// not a 202 then a worker failure.
func TestOptimizeRefusedAtSubmit(t *testing.T) {
	f := newFixture(t)
	const players = `"players":[{"id":"1","name":"A","positions":["PG"],"team":"X","salary":5000,"projection":30},` +
		`{"id":"2","name":"B","positions":["C"],"team":"Y","salary":5000,"projection":30}]`
	tests := []struct{ body, field, reason string }{
		{`{"site":"draftkings","sport":"nba","lineups":1,` + players + `,"constraints":{"excludes":["9"]}}`, "constraints.excludes[0]", "not_found"},
		{`{"site":"draftkings","sport":"nba","lineups":1,` + players + `,"constraints":{"locks":["1","1"]}}`, "constraints.locks[1]", "duplicate"},
		{`{"site":"draftkings","sport":"nba","lineups":1,` + players + `,"constraints":{"exposures":{"9":{"max":0.5}}}}`, "constraints.exposures.9", "not_found"},
		{`{"site":"draftkings","sport":"nba","lineups":1,` + players + `,"constraints":{"min_unique":9}}`, "constraints.min_unique", "out_of_range"},
		{`{"site":"draftkings","sport":"nba","lineups":1,` + players + `,"constraints":{"stacks":[{"size":2,"team":"Z"}]}}`, "constraints.stacks[0].team", "not_found"},
		{`{"site":"draftkings","sport":"nba","lineups":1,` + players + `,"constraints":{"stacks":[{"positions":["PG","QB"]}]}}`, "constraints.stacks[0].positions[1]", "invalid"},
		{`{"site":"draftkings","sport":"nfl","lineups":1,` + players + `}`, "players[0].positions[0]", "invalid"},
		{`{"site":"draftkings","sport":"nba","lineups":1,` + strings.Replace(players, `"salary":5000`, `"salary":50100`, 1) + `}`, "players[0].salary", "out_of_range"},
		{`{"site":"draftkings","sport":"nba","lineups":1,"slate_id":"nba-2025-01-12"}`, "slate_id", "invalid"},
	}
	for _, tc := range tests {
		w := f.do("POST", "/v1/optimize", admin, strings.NewReader(tc.body))
		if w.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s, want 422 on %s", tc.body, w.Code, w.Body, tc.field)
			continue
		}
		b := decodeError(t, w)
		found := false
		for _, d := range b.Error.Details {
			found = found || d.Field == tc.field && d.Reason == tc.reason
		}
		if b.Error.Code != CodeInvalidRequest || !found {
			t.Errorf("%s: %s, want %s %s", tc.body, w.Body, tc.field, tc.reason)
		}
	}
}

// TestMalformedDocumentIs400: a document that is not well-formed for its
// schema (bad JSON, a duplicate or unknown member — names match exactly —,
// a value of the wrong type, invalid UTF-8, trailing data) is a 400 naming
// the field; a well-formed value out of its range is a 422.
func TestMalformedDocumentIs400(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		body          string
		status        int
		field, reason string
	}{
		{`{"site":"draftkings","site":"fanduel"}`, 400, "site", "syntax"},
		{`{"Site":"draftkings"}`, 400, "Site", "unknown_field"},
		{`{"site":"draftkings","players":[{"id":"1","salary":"5000"}]}`, 400, "players[0].salary", "wrong_type"},
		{`{"constraints":{"exposures":{"1":{"max":"half"}}}}`, 400, "constraints.exposures.1.max", "wrong_type"},
		{"{\"site\":\"draft\xffkings\"}", 400, "site", "syntax"},
		{`{"site":"draftkings"} {}`, 400, "", "syntax"},
		{`{"lineups":99999999999999999999}`, 422, "lineups", "out_of_range"},
	}
	for _, tc := range tests {
		w := f.do("POST", "/v1/optimize", admin, strings.NewReader(tc.body))
		b := decodeError(t, w)
		if w.Code != tc.status || len(b.Error.Details) != 1 || b.Error.Details[0].Field != tc.field || b.Error.Details[0].Reason != tc.reason {
			t.Errorf("%q: %d %s, want %d %q %s", tc.body, w.Code, w.Body, tc.status, tc.field, tc.reason)
		}
	}
}
