package sitecsv

import (
	"fmt"
	"io"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// RequestOptions say how BuildOptimizeRequest reads the files and fills the
// request.
type RequestOptions struct {
	// Site of the salary file; empty: detected from its header.
	Site slate.Site
	// Sport and Mode; empty: inferred from the file.
	Sport slate.Sport
	Mode  slate.Mode
	// Lineups is copied to the request.
	Lineups int
	// DropStatuses removes players by site status (e.g. "OUT", "IR").
	DropStatuses []string
	// DropUnprojected removes players the projections file does not cover
	// (ignored without a projections file).
	DropUnprojected bool
	// KeepSiteProjection keeps the site's average as the projection of the
	// players the projections file does not cover (default: 0).
	KeepSiteProjection bool
}

// BuildReport says what BuildOptimizeRequest did.
type BuildReport struct {
	Site    slate.Site  `json:"site"`
	Sport   slate.Sport `json:"sport"`
	Mode    slate.Mode  `json:"mode"`
	Players int         `json:"players"`
	// Warnings from the salary file import.
	Warnings []string `json:"warnings,omitempty"`
	// GameStarts are the scheduled starts by game ("NYG@DAL"), as the
	// salary file gives them (slate.Player has no field for it yet).
	GameStarts map[string]time.Time `json:"game_starts,omitempty"`
	// Merge is the projections merge report (nil without a projections file).
	Merge *MergeReport `json:"merge,omitempty"`
	// Dropped lists the players removed (also in Merge.Dropped when merged).
	Dropped []DroppedPlayer `json:"dropped,omitempty"`
	// Coverage measures the projections file against the slate's
	// optimal-value range (nil without a projections file, or for a
	// site/sport/mode without roster rules). See ProjectionCoverage.
	Coverage *Coverage `json:"coverage,omitempty"`
	// SiteAverage lists the kept players whose projection is the site's
	// average (SiteAverageColumn): every player without a projections file,
	// the unprojected ones with KeepSiteProjection.
	SiteAverage []PlayerRef `json:"site_average,omitempty"`
}

// BuildOptimizeRequest builds an optimize request from a site salary file
// (DraftKings or FanDuel) and an optional projections file (nil: the site
// averages are the projections, listed in the report's SiteAverage). With
// a projections file the report measures its Coverage. The request carries site, sport, mode,
// players and Lineups; constraints and job options are the caller's. Call
// Validate on the result before use. This is what
// `dfsopt optimize --salaries F --projections P` does.
func BuildOptimizeRequest(salaries io.Reader, projections io.Reader, opts RequestOptions) (*schema.OptimizeRequest, *BuildReport, error) {
	s, err := ReadSalaries(salaries, opts.Site, ImportOptions{Sport: opts.Sport, Mode: opts.Mode})
	if err != nil {
		return nil, nil, err
	}
	if s.Sport == "" {
		return nil, nil, fmt.Errorf("cannot tell the sport from the positions of the salary file: give it explicitly")
	}
	rep := &BuildReport{Site: s.Site, Sport: s.Sport, Mode: s.Mode, Warnings: s.Warnings, GameStarts: s.GameStarts}
	players := s.Players
	if projections != nil {
		proj, err := ReadProjections(projections)
		if err != nil {
			return nil, nil, err
		}
		var mr *MergeReport
		players, mr = MergeProjections(players, proj, MergeOptions{
			Sport: s.Sport, KeepSiteProjection: opts.KeepSiteProjection,
			DropStatuses: opts.DropStatuses, DropUnprojected: opts.DropUnprojected,
		})
		rep.Merge = mr
		rep.Dropped = mr.Dropped
		projected := make(map[string]bool, len(s.Players))
		for i := range s.Players {
			projected[s.Players[i].ID] = true
		}
		for _, p := range mr.NoProjection {
			projected[p.ID] = false
		}
		if rules, err := slate.RulesFor(s.Site, s.Sport, s.Mode); err == nil {
			active, _ := DropPlayers(s.Players, opts.DropStatuses)
			rep.Coverage = ProjectionCoverage(rules, active, projected)
		}
		if opts.KeepSiteProjection {
			for i := range players {
				if !projected[players[i].ID] {
					rep.SiteAverage = append(rep.SiteAverage, refOf(&players[i]))
				}
			}
		}
	} else {
		if len(opts.DropStatuses) > 0 {
			players, rep.Dropped = DropPlayers(players, opts.DropStatuses)
		}
		for i := range players {
			rep.SiteAverage = append(rep.SiteAverage, refOf(&players[i]))
		}
	}
	if len(players) == 0 {
		return nil, rep, fmt.Errorf("no players left after dropping %d", len(rep.Dropped))
	}
	rep.Players = len(players)
	req := &schema.OptimizeRequest{
		Site:    string(s.Site),
		Sport:   string(s.Sport),
		Mode:    string(s.Mode),
		Players: players,
		Lineups: opts.Lineups,
	}
	return req, rep, nil
}
