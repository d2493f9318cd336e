package job

import (
	"context"
	"errors"
	"fmt"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// ErrSlateNotFound: no stored slate with that id. Slates implementations
// return errors matching it.
var ErrSlateNotFound = errors.New("slate not found")

// StoredSlate is a stored slate as a job uses it in place of inline
// players.
type StoredSlate struct {
	Site    slate.Site
	Sport   slate.Sport
	Mode    slate.Mode
	Players []slate.Player
}

// Slates is the slate store as the compute functions and the gateway use it
// (pkg/slatestore implements it over Neo4j or Redis). Unknown slates are
// errors matching ErrSlateNotFound; any other error is taken as the store
// being unreachable.
type Slates interface {
	// Slate returns a stored slate.
	Slate(ctx context.Context, id string) (*StoredSlate, error)
	// History returns the calibration rows (projection and actual points)
	// of the slates' players with an outcome.
	History(ctx context.Context, ids []string) ([]schema.CalibrationRow, error)
}

// slateOf returns the slate_id a slate document names and how many
// players it gives inline ("", 0 for other documents).
func slateOf(doc any) (id string, inline int) {
	switch d := doc.(type) {
	case *schema.OptimizeRequest:
		return d.SlateID, len(d.Players)
	case *SimulateDoc:
		return d.SlateID, len(d.Players)
	case *ContestSimDoc:
		return d.SlateID, len(d.Players)
	case *OwnershipDoc:
		return d.SlateID, len(d.Players)
	case *PortfolioDoc:
		return d.SlateID, len(d.Players)
	}
	return "", 0
}

// namesStored reports whether a document names stored data: a slate_id,
// or calibrate's source.slate_ids.
func namesStored(doc any) bool {
	if id, _ := slateOf(doc); id != "" {
		return true
	}
	c, ok := doc.(*CalibrateDoc)
	return ok && c.Source != nil && len(c.Source.SlateIDs) > 0
}

// CheckSlates is the gateway's check of a decoded request before it is
// enqueued: the slates it names are stored and match its site, sport and
// mode, and a document naming a slate_id is valid with the slate's players
// (see Resolve). Invalid is a *schema.ValidationError naming the field; a
// store that cannot be reached is returned as it is (the caller answers
// 503); nil slates refuse every reference.
func CheckSlates(ctx context.Context, slates Slates, r *Request) error {
	_, err := Resolve(ctx, slates, r.Doc)
	return err
}

// Resolve returns the document with the stored data it names filled in, as
// a copy: the players of its slate_id (slate_id cleared), or for calibrate
// the history rows of source.slate_ids (source cleared); the copy is then
// validated. Documents naming nothing are returned as they are. Errors are
// those of CheckSlates.
func Resolve(ctx context.Context, slates Slates, doc any) (any, error) {
	switch d := doc.(type) {
	case *schema.OptimizeRequest:
		c := *d
		return fill(ctx, slates, &c, &c.Players, &c.SlateID, c.Site, c.Sport, c.Mode)
	case *SimulateDoc:
		c := *d
		return fill(ctx, slates, &c, &c.Players, &c.SlateID, c.Site, c.Sport, c.Mode)
	case *ContestSimDoc:
		c := *d
		return fill(ctx, slates, &c, &c.Players, &c.SlateID, c.Site, c.Sport, c.Mode)
	case *OwnershipDoc:
		c := *d
		return fill(ctx, slates, &c, &c.Players, &c.SlateID, c.Site, c.Sport, c.Mode)
	case *PortfolioDoc:
		c := *d
		return fill(ctx, slates, &c, &c.Players, &c.SlateID, c.Site, c.Sport, c.Mode)
	case *CalibrateDoc:
		if d.Source == nil || len(d.Rows) > 0 {
			return d, nil
		}
		for i, id := range d.Source.SlateIDs {
			ref := SlateRef{Field: fmt.Sprintf("source.slate_ids[%d]", i), ID: id, Site: d.Site, Sport: d.Sport}
			if _, err := loadSlate(ctx, slates, ref); err != nil {
				return nil, err
			}
		}
		rows, err := slates.History(ctx, d.Source.SlateIDs)
		if err != nil {
			return nil, fmt.Errorf("load history of %d slates: %w", len(d.Source.SlateIDs), err)
		}
		if len(rows) == 0 {
			return nil, &schema.ValidationError{Errors: []schema.FieldError{{Field: "source.slate_ids", Reason: schema.ReasonInvalid,
				Message: "the slates have no outcomes yet: load them with POST /v1/slates/{id}/outcomes"}}}
		}
		c := *d
		c.Rows, c.Source = rows, nil
		if err := c.Validate(); err != nil {
			return nil, err
		}
		return &c, nil
	}
	return doc, nil
}

// fill sets the players of the slate *slateID names into doc (a copy),
// clears the slate_id and validates doc.
func fill(ctx context.Context, slates Slates, doc interface{ Validate() error }, players *[]slate.Player, slateID *string,
	site, sport, mode string) (any, error) {
	if *slateID == "" {
		return doc, nil
	}
	s, err := loadSlate(ctx, slates, SlateRef{Field: "slate_id", ID: *slateID, Site: site, Sport: sport, Mode: mode})
	if err != nil {
		return nil, err
	}
	*players, *slateID = s.Players, ""
	if err := doc.Validate(); err != nil {
		return nil, err
	}
	return doc, nil
}

// SlateRef is a stored slate a request names.
type SlateRef struct {
	// Field is the field naming it ("slate_id", "source.slate_ids[2]").
	Field string
	// ID is the slate id.
	ID string
	// Site, Sport and Mode are the request's own, which the slate must
	// match (site and sport when given; the mode of a slate_id always).
	Site, Sport, Mode string
}

// loadSlate reads the slate ref names and checks it against the request.
func loadSlate(ctx context.Context, slates Slates, ref SlateRef) (*StoredSlate, error) {
	invalid := func(format string, args ...any) error {
		return &schema.ValidationError{Errors: []schema.FieldError{{Field: ref.Field, Reason: schema.ReasonInvalid,
			Message: fmt.Sprintf(format, args...)}}}
	}
	if slates == nil {
		return nil, invalid("%s %s cannot be resolved here: there is no slate store (a local dfsopt run has none: "+
			"run it with --server, or give the data inline)", ref.Field, ref.ID)
	}
	s, err := slates.Slate(ctx, ref.ID)
	switch {
	case errors.Is(err, ErrSlateNotFound):
		return nil, invalid("slate %s not found: import it with POST /v1/slates first", ref.ID)
	case err != nil:
		return nil, fmt.Errorf("load slate %s: %w", ref.ID, err)
	}
	checks := []struct {
		name, want, got string
		parse           func(string) (string, error)
	}{
		{"site", ref.Site, string(s.Site), func(v string) (string, error) { x, err := slate.ParseSite(v); return string(x), err }},
		{"sport", ref.Sport, string(s.Sport), func(v string) (string, error) { x, err := slate.ParseSport(v); return string(x), err }},
		{"mode", ref.Mode, string(s.Mode), func(v string) (string, error) { x, err := slate.ParseMode(v); return string(x), err }},
	}
	for _, c := range checks {
		// Site and sport are checked when the request gives them; the mode
		// of a slate document ("" is classic) always, calibrate's never.
		if c.want == "" && (c.name != "mode" || ref.Field != "slate_id") {
			continue
		}
		if w, err := c.parse(c.want); err == nil && w != c.got {
			return nil, invalid("slate %s is %s %s, the request says %s %s", ref.ID, c.name, c.got, c.name, w)
		}
	}
	return s, nil
}

// resolving wraps a compute so that it runs on the resolved document (see
// Resolve), reading the store in a "load slate" phase: a missing or
// mismatched slate fails the job as invalid_request; a store that cannot be
// reached is Transient (the job is retried).
func resolving[Doc any, Res any](s Services, run func(context.Context, *Doc, Progress) (*Res, error)) func(context.Context, *Doc, Progress) (*Res, error) {
	return func(ctx context.Context, doc *Doc, progress Progress) (*Res, error) {
		var r any = doc
		var err error
		if namesStored(doc) {
			lctx, end := s.phase(ctx, "load slate")
			r, err = Resolve(lctx, s.Slates, doc)
			end()
		}
		if err != nil {
			var ve *schema.ValidationError
			if errors.As(err, &ve) {
				return nil, err
			}
			return nil, Transient(err)
		}
		return run(ctx, r.(*Doc), progress)
	}
}
