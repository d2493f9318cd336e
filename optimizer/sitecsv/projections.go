package sitecsv

import (
	"fmt"
	"io"
	"strings"
)

// ProjectionRow is one row of a projections file.
type ProjectionRow struct {
	Line     int
	ID       string
	Name     string
	Team     string
	Position string
	// Salary is the salary the file lists (0: none); it confirms loose matches.
	Salary int
	// HasProjection is false when the projection cell is empty or NULL.
	HasProjection bool
	Projection    float64
	StdDev        *float64
	// Ownership is a fraction (0.12 for 12 %).
	Ownership *float64
	Floor     *float64
	Ceiling   *float64
}

// Projections is a parsed projections file.
type Projections struct {
	Rows []ProjectionRow
	// Columns maps each field read (id, name, team, position, projection,
	// stddev, ownership, floor, ceiling) to the header it was read from.
	Columns map[string]string
	// OwnershipPercent reports that the ownership column was read as
	// percentages and divided by 100.
	OwnershipPercent bool
}

// projectionColumns lists, per field, the accepted header names in order of
// preference, compared after lower-casing and removing spaces, "_", "-"
// and ".".
var projectionColumns = []struct {
	field   string
	headers []string
}{
	{"id", []string{"id", "playerid", "dkid", "draftableid", "fdid", "siteid", "dfsid"}},
	{"name", []string{"name", "player", "playername", "nickname", "fullname", "displayname", "dkname", "name+id"}},
	{"team", []string{"team", "teamabbrev", "tm", "teamabbr", "teamcode"}},
	{"position", []string{"position", "pos", "dkposition", "rosterposition"}},
	{"projection", []string{"projection", "proj", "fpts", "projectionsproj", "points", "projectedpoints",
		"projpts", "dkproj", "dkpoints", "fantasypoints", "projfpts", "fptsproj", "projected", "median"}},
	{"stddev", []string{"stddev", "std", "sd", "stdev", "standarddeviation", "projectionsstddev"}},
	{"ownership", []string{"ownership", "own%", "own", "projown", "projectionsprojown", "projectedownership",
		"pown%", "pown", "ownpct", "projown%", "ownership%"}},
	{"floor", []string{"floor", "projectionsfloor", "projfloor"}},
	{"salary", []string{"salary", "sal", "dksalary", "fdsalary", "dksal", "fdsal"}},
	{"ceiling", []string{"ceiling", "ceil", "projectionsceiling", "projceiling"}},
}

func headerKey(s string) string {
	r := strings.NewReplacer(" ", "", "_", "", "-", "", ".", "")
	return r.Replace(strings.ToLower(strings.TrimSpace(s)))
}

// ReadProjections reads a projections CSV whose columns are recognised by
// name, case-insensitively (see the package's projectionColumns): an id
// and/or a name (plus optional team and position) to find the player, and
// the projection, with optional stddev, ownership (percent columns, or any
// value above 1, are divided by 100), floor and ceiling.
func ReadProjections(r io.Reader) (*Projections, error) {
	recs, err := readRecords(r)
	if err != nil {
		return nil, fmt.Errorf("read projections: %w", err)
	}
	p, err := parseProjections(recs)
	if err != nil {
		return nil, fmt.Errorf("read projections: %w", err)
	}
	return p, nil
}

func parseProjections(recs []record) (*Projections, error) {
	hi := -1
	for i := range recs {
		if !recs[i].empty() {
			hi = i
			break
		}
	}
	if hi < 0 {
		return nil, &ParseError{Err: fmt.Errorf("empty file")}
	}
	hrec := recs[hi]
	byKey := map[string]int{}
	for j, c := range hrec.cells {
		k := headerKey(c)
		if _, dup := byKey[k]; !dup && k != "" {
			byKey[k] = j
		}
	}
	cols := map[string]int{}
	out := &Projections{Columns: map[string]string{}}
	for _, pc := range projectionColumns {
		for _, h := range pc.headers {
			if j, ok := byKey[h]; ok {
				cols[pc.field] = j
				out.Columns[pc.field] = strings.TrimSpace(hrec.cells[j])
				break
			}
		}
	}
	col := func(f string) int {
		if j, ok := cols[f]; ok {
			return j
		}
		return -1
	}
	if col("projection") < 0 {
		return nil, &ParseError{Line: hrec.line, Err: fmt.Errorf("no projection column (looked for %s)", strings.Join(projectionColumns[4].headers, ", "))}
	}
	if col("id") < 0 && col("name") < 0 {
		return nil, &ParseError{Line: hrec.line, Err: fmt.Errorf("no id or name column to find players by")}
	}
	ownHeader := out.Columns["ownership"]
	pctHeader := strings.Contains(ownHeader, "%") || strings.Contains(strings.ToLower(ownHeader), "pct")
	anyAbove1 := false
	optional := func(rec record, field string) (*float64, error) {
		j := col(field)
		if j < 0 {
			return nil, nil
		}
		v := rec.cell(j)
		if isNullCell(v) {
			return nil, nil
		}
		f, err := parseFloat(v)
		if err != nil {
			return nil, errAt(rec.line, out.Columns[field], "%v", err)
		}
		return &f, nil
	}
	for i := hi + 1; i < len(recs); i++ {
		rec := recs[i]
		if rec.empty() {
			continue
		}
		row := ProjectionRow{Line: rec.line, ID: rec.cell(col("id")), Name: rec.cell(col("name")),
			Team: rec.cell(col("team")), Position: rec.cell(col("position"))}
		if m := trailingID.FindStringSubmatch(row.Name); m != nil {
			// DraftKings "Name + ID" cells: "Lamar Jackson (100001)".
			if row.ID == "" {
				row.ID = m[1]
			}
			row.Name = strings.TrimSpace(row.Name[:len(row.Name)-len(m[0])])
		}
		if row.ID == "" && row.Name == "" {
			return nil, errAt(rec.line, "", "row has neither an id nor a name")
		}
		if v := rec.cell(col("projection")); !isNullCell(v) {
			f, err := parseFloat(v)
			if err != nil {
				return nil, errAt(rec.line, out.Columns["projection"], "%v", err)
			}
			row.Projection, row.HasProjection = f, true
		}
		var err error
		if row.StdDev, err = optional(rec, "stddev"); err != nil {
			return nil, err
		}
		if row.StdDev != nil && *row.StdDev < 0 {
			return nil, errAt(rec.line, out.Columns["stddev"], "negative standard deviation %g", *row.StdDev)
		}
		if row.Ownership, err = optional(rec, "ownership"); err != nil {
			return nil, err
		}
		if row.Ownership != nil {
			if *row.Ownership < 0 {
				return nil, errAt(rec.line, ownHeader, "negative ownership %g", *row.Ownership)
			}
			if strings.HasSuffix(rec.cell(col("ownership")), "%") {
				pctHeader = true
			}
			if *row.Ownership > 1 {
				anyAbove1 = true
			}
		}
		if sal, err := optional(rec, "salary"); err != nil {
			return nil, err
		} else if sal != nil && *sal >= 0 && *sal <= 1e7 {
			row.Salary = int(*sal)
		}
		if row.Floor, err = optional(rec, "floor"); err != nil {
			return nil, err
		}
		if row.Ceiling, err = optional(rec, "ceiling"); err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, row)
	}
	if pctHeader || anyAbove1 {
		out.OwnershipPercent = true
		for i := range out.Rows {
			if o := out.Rows[i].Ownership; o != nil {
				v := *o / 100
				out.Rows[i].Ownership = &v
			}
		}
	}
	for i := range out.Rows {
		if o := out.Rows[i].Ownership; o != nil && *o > 1 {
			return nil, errAt(out.Rows[i].Line, ownHeader, "ownership %g%% is above 100%%", *o*100)
		}
	}
	return out, nil
}
