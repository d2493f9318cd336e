package lineup

import (
	"math"
)

// enumerate collects every lineup of the model (under its root bounds) whose
// value is at least floor, calling f with its columns and value. At an
// integer node the rest of the subtree is partitioned by flipping each free
// column in turn (the earlier ones kept at the solution's values), so every
// lineup is reached exactly once.
func (s *search) enumerate(floor float64, f func(cols []int, v float64) bool) error {
	s.md.applyRootBounds()
	s.incumbent = floor - 2*pruneTol
	s.err = nil
	s.enumNode(f)
	return s.err
}

func (s *search) enumNode(f func(cols []int, v float64) bool) {
	if !s.enter() {
		return
	}
	p := s.md.lp
	for {
		z, ok := s.relax()
		if !ok {
			return
		}
		fixed := s.reducedCostFixing(z)
		defer s.unfix(fixed)
		j := s.branchVar()
		if j >= 0 {
			lo, up := p.lo[j], p.up[j]
			p.setBounds(j, 0, 0)
			s.enumNode(f)
			p.setBounds(j, lo, up)
			if s.err != nil {
				return
			}
			p.setBounds(j, 1, 1)
			s.enumNode(f)
			p.setBounds(j, lo, up)
			return
		}
		if s.separate(true) > 0 {
			continue
		}
		// integral: report it, then partition the rest of the subtree
		var cols []int
		for k := 0; k < s.md.nx; k++ {
			if p.x[k] > 0.5 {
				cols = append(cols, k)
			}
		}
		v := 0.0
		for _, k := range cols {
			v += p.c[k]
		}
		if !f(cols, v) {
			s.err = errPoolFull
			return
		}
		x := make([]float64, p.n)
		copy(x, p.x[:p.n])
		var free []int
		for k := 0; k < s.md.nx; k++ { // lineup columns only: stack indicators are not part of a lineup
			if p.lo[k] != p.up[k] {
				free = append(free, k)
			}
		}
		var saved [][3]float64
		for _, k := range free {
			v := math.Round(x[k])
			saved = append(saved, [3]float64{float64(k), p.lo[k], p.up[k]})
			p.setBounds(k, 1-v, 1-v)
			s.enumNode(f)
			if s.err != nil {
				break
			}
			p.setBounds(k, v, v)
		}
		for i := len(saved) - 1; i >= 0; i-- {
			p.setBounds(int(saved[i][0]), saved[i][1], saved[i][2])
		}
		return
	}
}
