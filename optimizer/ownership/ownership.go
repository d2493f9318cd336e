// Package ownership projects the share of a contest's field that will roster
// each player of a slate (projected ownership).
//
// The model is a per-position multinomial logit: within each position group
// (the player's primary position; one pool for showdown and for NBA, whose
// players are mostly eligible at several positions) a player's share of the
// group's slots is softmax(β·x), where x are slate-relative features: value
// (points per $1,000) z-score and rank, projection z-score within the group,
// and the team's implied total or projected points (see the Feat constants).
// The shares are then scaled so that every group fills its slots: a position
// with k dedicated slots sums to k plus its part of the flexible slots
// (FLEX, UTIL, G, F), which are split among their eligible positions in
// proportion to each group's total attractiveness Σexp(β·x). No player
// exceeds 1; the total over players equals the roster size (900 % for
// DraftKings NFL classic). Players without a positive projection, or with an
// out/injured-reserve status, get 0.
//
// The coefficients β were fitted by maximum likelihood on real DraftKings
// contests (see coefficients.go); cash contests sharpen the utilities by
// CashTemperature. The package is pure computation: no I/O, no logging, no
// global state.
package ownership

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Model identification reported in results.
const (
	ModelName    = "position-softmax"
	ModelVersion = "1"
)

// CashTemperature multiplies the utilities for cash contests, whose fields
// concentrate on the best values more than tournament fields. It is a prior,
// not fitted: the public data holds tournament standings only.
const CashTemperature = 1.3

// fitRidge is the L2 penalty the shipped coefficients were fitted with.
const fitRidge = 0.05

// ErrNoPlayers is returned when a request names a slate_id but carries no
// players: resolving slate ids is the caller's job (the worker loads the
// slate from the store before calling Project).
var ErrNoPlayers = errors.New("ownership: no players (resolve slate_id to players before calling Project)")

// Options tune one prediction.
type Options struct {
	// Coefficients are the utility weights; nil means the shipped
	// set for the rules' sport (CoefficientsFor).
	Coefficients *Coefficients
	// Temperature multiplies utilities (0 means 1: tournament).
	Temperature float64
	// TeamTotals are optional implied team points by team code.
	TeamTotals map[string]float64
}

// Prediction is the projected ownership of one slate.
type Prediction struct {
	// Ownership[i] is the projected ownership of players[i], in [0, 1].
	Ownership []float64
	// Group[i] is the position group the player's ownership counts toward
	// ("" for a player no slot accepts).
	Group []string
	// Demand is the number of slots each group fills per lineup.
	Demand map[string]float64
	// Coefficients is the set used.
	Coefficients Coefficients
	// Warnings report slots the slate cannot fill.
	Warnings []string
}

// Predict projects the ownership of every player under the rules.
func Predict(ctx context.Context, players []slate.Player, rules *slate.Rules, opt Options) (*Prediction, error) {
	if rules == nil || len(rules.Slots) == 0 {
		return nil, errors.New("ownership: rules without slots")
	}
	coef := CoefficientsFor(rules.Sport)
	if opt.Coefficients != nil {
		coef = *opt.Coefficients
	}
	temp := opt.Temperature
	if temp == 0 {
		temp = 1
	}
	n := len(players)
	pred := &Prediction{Ownership: make([]float64, n), Group: make([]string, n), Demand: map[string]float64{}, Coefficients: coef}
	act := make([]bool, n)
	for i := range players {
		pos := groupOf(&players[i], rules)
		pred.Group[i] = pos
		act[i] = pos != "" && active(&players[i])
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	x := features(players, pred.Group, act, opt.TeamTotals)
	u := make([]float64, n)
	umax := math.Inf(-1)
	for i := range players {
		if !act[i] {
			continue
		}
		for k := range NumFeatures {
			u[i] += coef.Beta[k] * x[i][k]
		}
		u[i] *= temp
		umax = max(umax, u[i])
	}
	w := make([]float64, n)
	mass := map[string]float64{}
	members := map[string][]int{}
	for i := range players {
		if act[i] {
			w[i] = math.Exp(u[i] - umax)
			mass[pred.Group[i]] += w[i]
			members[pred.Group[i]] = append(members[pred.Group[i]], i)
		}
	}
	// Slot demand per group.
	for s := range rules.Slots {
		var elig []string
		var tot float64
		for g, m := range mass {
			if g == pooledGroup || slices.Contains(rules.Slots[s].Eligible, g) {
				elig = append(elig, g)
				tot += m
			}
		}
		if len(elig) == 0 || tot == 0 {
			pred.Warnings = append(pred.Warnings, fmt.Sprintf("slot %d (%s): no active eligible player", s, rules.Slots[s].Name))
			continue
		}
		for _, g := range elig {
			pred.Demand[g] += mass[g] / tot
		}
	}
	groups := make([]string, 0, len(members))
	for g := range members {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx := members[g]
		ww := make([]float64, len(idx))
		for k, i := range idx {
			ww[k] = w[i]
		}
		o, short := capScale(ww, pred.Demand[g])
		if short > 1e-9 {
			pred.Warnings = append(pred.Warnings, fmt.Sprintf("position %s: %d active players cannot fill %.2f slots", g, len(idx), pred.Demand[g]))
		}
		for k, i := range idx {
			pred.Ownership[i] = o[k]
		}
	}
	return pred, nil
}

// capScale returns o_i = min(1, λ w_i) with Σ o_i = demand (λ found exactly
// by water-filling), and the demand it could not place when there are too
// few players.
func capScale(w []float64, demand float64) ([]float64, float64) {
	o := make([]float64, len(w))
	if demand <= 0 {
		return o, 0
	}
	if float64(len(w)) <= demand {
		for i := range o {
			o[i] = 1
		}
		return o, demand - float64(len(w))
	}
	idx := make([]int, len(w))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return w[idx[a]] > w[idx[b]] })
	var rest float64
	for _, v := range w {
		rest += v
	}
	// k players capped at 1; λ = (demand-k)/Σ rest; stop when the next
	// player stays below 1.
	k := 0
	lambda := demand / rest
	for k < len(idx) && lambda*w[idx[k]] > 1 {
		rest -= w[idx[k]]
		k++
		if rest <= 0 {
			break
		}
		lambda = (demand - float64(k)) / rest
	}
	for r, i := range idx {
		if r < k {
			o[i] = 1
		} else {
			o[i] = min(1, lambda*w[i])
		}
	}
	return o, 0
}

// Project runs an ownership request: validation, the site rules, the
// prediction and the result document. A request with slate_id and no players
// fails with ErrNoPlayers.
func Project(ctx context.Context, req *schema.OwnershipRequest) (*schema.OwnershipResult, error) {
	if req == nil {
		return nil, errors.New("ownership: nil request")
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if len(req.Players) == 0 {
		return nil, ErrNoPlayers
	}
	site, sport, mode, err := req.Normalized()
	if err != nil {
		return nil, err
	}
	rules, err := slate.RulesFor(site, sport, mode)
	if err != nil {
		return nil, fmt.Errorf("ownership: %w", err)
	}
	ct, err := req.NormalizedContestType()
	if err != nil {
		return nil, err
	}
	opt := Options{TeamTotals: req.TeamTotals}
	if ct == schema.ContestCash {
		opt.Temperature = CashTemperature
	}
	pred, err := Predict(ctx, req.Players, rules, opt)
	if err != nil {
		return nil, err
	}
	res := &schema.OwnershipResult{
		Players:    make([]schema.PlayerOwnership, len(req.Players)),
		RosterSize: rules.Size(),
		Positions:  map[string]float64{},
		Model:      schema.OwnershipModel{Name: ModelName, Version: ModelVersion, Coefficients: pred.Coefficients.Name, ContestType: ct},
		Warnings:   pred.Warnings,
	}
	for i := range req.Players {
		p := &req.Players[i]
		pos := primaryPosition(p, rules)
		res.Players[i] = schema.PlayerOwnership{ID: p.ID, Name: p.Name, Position: pos, Team: p.Team,
			Salary: p.Salary, Projection: p.Projection, Ownership: pred.Ownership[i]}
		res.Total += pred.Ownership[i]
		if pos != "" {
			res.Positions[pos] += pred.Ownership[i]
		}
	}
	return res, nil
}

// Fill sets Ownership on every player whose Ownership is zero, from a
// tournament projection of the whole slate under the rules, and returns how
// many players it filled. Players that already carry an ownership keep it
// (the totals then no longer match the roster size exactly). The contest
// simulator's field generator calls it before building the field.
func Fill(ctx context.Context, rules *slate.Rules, players []slate.Player) (int, error) {
	need := false
	for i := range players {
		if players[i].Ownership == 0 {
			need = true
			break
		}
	}
	if !need {
		return 0, nil
	}
	pred, err := Predict(ctx, players, rules, Options{})
	if err != nil {
		return 0, err
	}
	filled := 0
	for i := range players {
		if players[i].Ownership == 0 && pred.Ownership[i] > 0 {
			players[i].Ownership = pred.Ownership[i]
			filled++
		}
	}
	return filled, nil
}
