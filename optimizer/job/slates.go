package job

import (
	"context"
	"errors"
	"fmt"
	"strings"

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

// SlateRef is where a request document names a stored slate.
type SlateRef struct {
	// Field is the field naming it ("slate_id", "source.slate_ids[2]").
	Field string
	// ID is the slate id.
	ID string
	// Site, Sport and Mode are the request's own (empty for calibrate's
	// history, which takes slates of any site and mode).
	Site, Sport, Mode string
}

// SlateRefs returns the stored slates a decoded request names: slate_id
// of the slate documents, or calibrate's source.slate_ids.
func SlateRefs(r *Request) []SlateRef {
	one := func(id, site, sport, mode string) []SlateRef {
		if id == "" {
			return nil
		}
		return []SlateRef{{Field: "slate_id", ID: id, Site: site, Sport: sport, Mode: mode}}
	}
	switch d := r.Doc.(type) {
	case *schema.OptimizeRequest:
		return one(d.SlateID, d.Site, d.Sport, d.Mode)
	case *SimulateDoc:
		return one(d.SlateID, d.Site, d.Sport, d.Mode)
	case *ContestSimDoc:
		return one(d.SlateID, d.Site, d.Sport, d.Mode)
	case *OwnershipDoc:
		return one(d.SlateID, d.Site, d.Sport, d.Mode)
	case *PortfolioDoc:
		return one(d.SlateID, d.Site, d.Sport, d.Mode)
	case *CalibrateDoc:
		if d.Source == nil || len(d.Rows) > 0 {
			return nil
		}
		refs := make([]SlateRef, len(d.Source.SlateIDs))
		for i, id := range d.Source.SlateIDs {
			refs[i] = SlateRef{Field: fmt.Sprintf("source.slate_ids[%d]", i), ID: id, Sport: d.Sport}
		}
		return refs
	}
	return nil
}

// CheckSlates checks that the slates a request names are stored and match
// its site, sport and mode: the gateway's check at submission. A missing
// or mismatched slate is a *schema.ValidationError naming the field; a
// store that cannot be reached is returned as it is (the caller answers
// 503); nil slates refuse every reference.
func CheckSlates(ctx context.Context, slates Slates, r *Request) error {
	var fes []schema.FieldError
	for _, ref := range SlateRefs(r) {
		if _, err := loadSlate(ctx, slates, ref); err != nil {
			var ve *schema.ValidationError
			if !errors.As(err, &ve) {
				return err
			}
			fes = append(fes, ve.Errors...)
		}
	}
	if len(fes) > 0 {
		return &schema.ValidationError{Errors: fes}
	}
	return nil
}

// loadSlate reads the slate ref names and checks it against the request.
func loadSlate(ctx context.Context, slates Slates, ref SlateRef) (*StoredSlate, error) {
	invalid := func(format string, args ...any) error {
		return &schema.ValidationError{Errors: []schema.FieldError{{Field: ref.Field, Reason: schema.ReasonInvalid,
			Message: fmt.Sprintf(format, args...)}}}
	}
	if slates == nil {
		return nil, invalid("%s %s cannot be resolved here: there is no slate store (a local dfsopt run has none: "+
			"run it with --server, or give the players inline)", ref.Field, ref.ID)
	}
	s, err := slates.Slate(ctx, ref.ID)
	switch {
	case errors.Is(err, ErrSlateNotFound):
		return nil, invalid("slate %s not found: import it with POST /v1/slates first", ref.ID)
	case err != nil:
		return nil, err
	}
	same := func(field, want string, got string, parse func(string) (string, error)) error {
		if want == "" {
			return nil
		}
		w, err := parse(want)
		if err != nil || w == got {
			return nil // an invalid value is the document's own error
		}
		return invalid("slate %s is %s %s, the request says %s %s", ref.ID, field, got, field, want)
	}
	for _, c := range []error{
		same("site", ref.Site, string(s.Site), func(v string) (string, error) { x, err := slate.ParseSite(v); return string(x), err }),
		same("sport", ref.Sport, string(s.Sport), func(v string) (string, error) { x, err := slate.ParseSport(v); return string(x), err }),
		same("mode", ref.Mode, string(s.Mode), func(v string) (string, error) { x, err := slate.ParseMode(v); return string(x), err }),
	} {
		if c != nil {
			return nil, c
		}
	}
	return s, nil
}

// resolvePlayers returns the players of a request's slate_id (nil, nil
// without one) for the compute: a missing or mismatched slate fails the
// job as invalid_request on slate_id; a store that cannot be reached is
// Transient (the job is retried).
func resolvePlayers(ctx context.Context, slates Slates, id, site, sport, mode string) ([]slate.Player, error) {
	if strings.TrimSpace(id) == "" {
		return nil, nil
	}
	s, err := loadSlate(ctx, slates, SlateRef{Field: "slate_id", ID: id, Site: site, Sport: sport, Mode: mode})
	var ve *schema.ValidationError
	switch {
	case errors.As(err, &ve):
		return nil, err
	case err != nil:
		return nil, Transient(fmt.Errorf("load slate %s: %w", id, err))
	}
	return s.Players, nil
}

// resolveHistory returns the calibration rows of calibrate's
// source.slate_ids (nil, nil with inline rows), with the same errors as
// resolvePlayers.
func resolveHistory(ctx context.Context, slates Slates, r *schema.CalibrateRequest) ([]schema.CalibrationRow, error) {
	if r.Source == nil || len(r.Rows) > 0 {
		return nil, nil
	}
	req := &Request{Doc: &CalibrateDoc{CalibrateRequest: *r}}
	if err := CheckSlates(ctx, slates, req); err != nil {
		var ve *schema.ValidationError
		if errors.As(err, &ve) {
			return nil, err
		}
		return nil, Transient(fmt.Errorf("load history: %w", err))
	}
	rows, err := slates.History(ctx, r.Source.SlateIDs)
	if err != nil {
		return nil, Transient(fmt.Errorf("load history of %d slates: %w", len(r.Source.SlateIDs), err))
	}
	if len(rows) == 0 {
		return nil, &schema.ValidationError{Errors: []schema.FieldError{{Field: "source.slate_ids", Reason: schema.ReasonInvalid,
			Message: "the slates have no outcomes yet: load them with POST /v1/slates/{id}/outcomes"}}}
	}
	return rows, nil
}
