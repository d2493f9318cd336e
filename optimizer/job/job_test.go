package job

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/calibrate"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

func TestStandardKinds(t *testing.T) {
	r := Standard(Services{})
	want := map[string]string{
		TypeOptimize: "/v1/optimize", TypeSimulate: "/v1/simulate", TypeContestSim: "/v1/contest-sim",
		TypeOwnership: "/v1/ownership", TypePortfolio: "/v1/portfolio", TypeCalibrate: "/v1/calibrate",
	}
	if len(r.Kinds()) != len(want) {
		t.Fatalf("%d kinds, want %d", len(r.Kinds()), len(want))
	}
	for typ, path := range want {
		k, ok := r.Lookup(typ)
		if !ok || k.Path != path {
			t.Errorf("%s: %+v", typ, k)
		}
	}
	if _, ok := r.Lookup("nope"); ok {
		t.Error("unknown type found")
	}
}

func TestNewRegistryRejects(t *testing.T) {
	ok := Kind{Type: "x", Path: "/v1/x",
		Decode: func([]byte) (*Request, error) { return nil, nil },
		Run:    func(context.Context, *Request, Progress) (any, error) { return nil, nil }}
	bad := []func(k *Kind){
		func(k *Kind) { k.Type = "" },
		func(k *Kind) { k.Path = "" },
		func(k *Kind) { k.Decode = nil },
		func(k *Kind) { k.Run = nil },
	}
	for i, f := range bad {
		k := ok
		f(&k)
		if _, err := NewRegistry(k); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	other := ok
	other.Type = "y"
	if _, err := NewRegistry(ok, other); err == nil {
		t.Error("two kinds on one path accepted")
	}
	if _, err := NewRegistry(ok, ok); err == nil {
		t.Error("duplicate accepted")
	}
}

// TestCode: failure codes come from the compute errors, through wrapping.
func TestCode(t *testing.T) {
	ve := &schema.ValidationError{Errors: []schema.FieldError{{Field: "constraints.locks[0]", Reason: schema.ReasonNotFound}}}
	tests := []struct {
		err  error
		want string
	}{
		{ve, CodeInvalidRequest},
		{fmt.Errorf("optimize: %w", ve), CodeInvalidRequest},
		{&calibrate.NotConvergedError{Failed: []string{"QB.bias"}}, CodeNotConverged},
		{fmt.Errorf("sims: %w", context.DeadlineExceeded), CodeTimeout},
		{errors.New("boom"), CodeComputeFailed},
	}
	for _, tt := range tests {
		if got := Code(tt.err); got != tt.want {
			t.Errorf("Code(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
	if fe := FieldErrors(fmt.Errorf("x: %w", ve)); len(fe) != 1 || fe[0].Field != "constraints.locks[0]" {
		t.Errorf("field errors %+v", fe)
	}
	if FieldErrors(errors.New("x")) != nil {
		t.Error("field errors of a plain error")
	}
}

func TestTransient(t *testing.T) {
	base := errors.New("redis down")
	if !IsTransient(Transient(base)) || IsTransient(base) || !errors.Is(Transient(base), base) || Transient(nil) != nil {
		t.Fatal("transient marking")
	}
	if !IsTransient(fmt.Errorf("wrapped: %w", Transient(base))) {
		t.Fatal("wrapped transient not seen")
	}
}
