// Package featureflag provides the feature flags of DFSOPT_FEATURE_FLAGS:
// each flag is on for a share of jobs, chosen by a hash of the flag and the
// job id, so that a job's flags are stable and recorded with it (job record
// and task payload) for comparing the two arms.
package featureflag

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Set is a parsed set of flags: each name with the share (0 to 1) of jobs
// it is on for. The zero Set has no flags.
type Set struct {
	shares map[string]float64
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Parse reads "name=share,name=share" (share from 0 to 1; "true" is 1 and
// "false" 0); "" is no flags.
func Parse(s string) (Set, error) {
	set := Set{shares: map[string]float64{}}
	if strings.TrimSpace(s) == "" {
		return set, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		name, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		name, v = strings.TrimSpace(name), strings.TrimSpace(v)
		if !ok || !nameRE.MatchString(name) {
			return Set{}, fmt.Errorf("invalid flag %q (want name=share, name in [a-z0-9_])", item)
		}
		if _, dup := set.shares[name]; dup {
			return Set{}, fmt.Errorf("flag %s given twice", name)
		}
		share, err := parseShare(v)
		if err != nil {
			return Set{}, fmt.Errorf("flag %s: %w", name, err)
		}
		set.shares[name] = share
	}
	return set, nil
}

func parseShare(v string) (float64, error) {
	if b, err := strconv.ParseBool(v); err == nil {
		if b {
			return 1, nil
		}
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
		return 0, fmt.Errorf("invalid share %q (want 0 to 1, true or false)", v)
	}
	return f, nil
}

// Names are the configured flags, sorted.
func (s Set) Names() []string { return slices.Sorted(maps.Keys(s.shares)) }

// For returns the flags on for key (a job id), sorted; nil when none.
func (s Set) For(key string) []string {
	var on []string
	for _, name := range s.Names() {
		if bucket(name, key) < s.shares[name] {
			on = append(on, name)
		}
	}
	return on
}

// bucket maps a flag and a key to [0, 1) uniformly and stably (SHA-256:
// well mixed even for sequential keys).
func bucket(name, key string) float64 {
	sum := sha256.Sum256([]byte(name + "\x00" + key))
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}
