package calibrate

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// ErrNoRows is returned when there are no rows to read or calibrate on.
var ErrNoRows = errors.New("calibrate: no rows")

// columnAliases maps accepted CSV header names (lower case) to row fields.
var columnAliases = map[string]string{
	"player_id": "player_id", "id": "player_id", "playerid": "player_id",
	"name": "name", "player": "name",
	"position": "position", "pos": "position",
	"team": "team", "teamabbrev": "team",
	"opponent": "opponent", "opp": "opponent",
	"game": "game", "game_info": "game",
	"date": "date", "week": "date",
	"projection": "projection", "proj": "projection", "fpts": "projection",
	"actual": "actual", "actual_points": "actual", "points": "actual",
	"stddev": "stddev", "std_dev": "stddev", "sd": "stddev",
	"ownership": "ownership", "own": "ownership",
}

var requiredColumns = []string{"position", "team", "projection", "actual"}

// ReadRows reads calibration rows from CSV (with a header row; columns
// player_id, name, position, team, opponent, game, date, projection,
// actual, and optional stddev and ownership, in any order, extra columns
// ignored) or JSON (an array of rows, or an object with a "rows" array).
// The format is detected from the first non-blank byte. Every row is
// validated; errors name the line (CSV) or index (JSON) and the field.
func ReadRows(r io.Reader) ([]schema.CalibrationRow, error) {
	br := bufio.NewReader(r)
	// Skip a UTF-8 byte order mark and leading white space.
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	var first byte
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return nil, ErrNoRows
		}
		if err != nil {
			return nil, fmt.Errorf("calibrate: read rows: %w", err)
		}
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
			first = b
			_ = br.UnreadByte()
			break
		}
	}
	var rows []schema.CalibrationRow
	var err error
	if first == '[' || first == '{' {
		rows, err = readJSONRows(br, first)
	} else {
		rows, err = readCSVRows(br)
	}
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNoRows
	}
	return rows, nil
}

func readJSONRows(r io.Reader, first byte) ([]schema.CalibrationRow, error) {
	dec := json.NewDecoder(r)
	var rows []schema.CalibrationRow
	if first == '[' {
		if err := dec.Decode(&rows); err != nil {
			return nil, fmt.Errorf("calibrate: read JSON rows: %w", err)
		}
	} else {
		var doc struct {
			Rows []schema.CalibrationRow `json:"rows"`
		}
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("calibrate: read JSON rows: %w", err)
		}
		rows = doc.Rows
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("calibrate: read JSON rows: unexpected data after the document")
	}
	for i := range rows {
		if errs := schema.ValidateCalibrationRow(fmt.Sprintf("rows[%d]", i), &rows[i]); len(errs) > 0 {
			return nil, fmt.Errorf("calibrate: read JSON rows: %s", errs[0].Message)
		}
	}
	return rows, nil
}

func readCSVRows(r io.Reader) ([]schema.CalibrationRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, ErrNoRows
	}
	if err != nil {
		return nil, fmt.Errorf("calibrate: read CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if field, ok := columnAliases[key]; ok {
			if _, dup := col[field]; !dup {
				col[field] = i
			}
		}
	}
	for _, c := range requiredColumns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("calibrate: read CSV header: missing column %q", c)
		}
	}
	var rows []schema.CalibrationRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("calibrate: read CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		get := func(field string) string {
			i, ok := col[field]
			if !ok || i >= len(rec) {
				return ""
			}
			// Invalid UTF-8 becomes U+FFFD, as encoding/json does.
			return strings.ToValidUTF8(strings.TrimSpace(rec[i]), "\uFFFD")
		}
		num := func(field string, required bool) (float64, error) {
			s := get(field)
			if s == "" {
				if required {
					return 0, fmt.Errorf("line %d: %s is empty", line, field)
				}
				return 0, nil
			}
			percent := false
			if p, ok := strings.CutSuffix(s, "%"); ok {
				s, percent = strings.TrimSpace(p), true
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, fmt.Errorf("line %d: %s %q is not a number", line, field, get(field))
			}
			if percent {
				v /= 100
			}
			return v, nil
		}
		row := schema.CalibrationRow{
			PlayerID: get("player_id"),
			Name:     get("name"),
			Position: get("position"),
			Team:     get("team"),
			Opponent: get("opponent"),
			Game:     get("game"),
			Date:     get("date"),
		}
		var errs [4]error
		row.Projection, errs[0] = num("projection", true)
		row.Actual, errs[1] = num("actual", true)
		row.StdDev, errs[2] = num("stddev", false)
		row.Ownership, errs[3] = num("ownership", false)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("calibrate: read CSV: %w", err)
		}
		if fe := schema.ValidateCalibrationRow(fmt.Sprintf("line %d", line), &row); len(fe) > 0 {
			return nil, fmt.Errorf("calibrate: read CSV: %s", fe[0].Message)
		}
		rows = append(rows, row)
	}
	return rows, nil
}
