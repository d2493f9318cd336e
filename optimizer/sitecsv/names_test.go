package sitecsv

import (
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

func TestNormalizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Odell Beckham Jr.", "odell beckham"},
		{"Odell Beckham", "odell beckham"},
		{"Todd Gurley II", "todd gurley"},
		{"Ricky Council IV", "ricky council"},
		{"Marvin Jones Jr", "marvin jones"},
		{"D.J. Moore", "dj moore"},
		{"DJ Moore", "dj moore"},
		{"D J Moore", "dj moore"},
		{"A.J. Brown", "aj brown"},
		{"Amon-Ra St. Brown", "amon ra st brown"},
		{"Ja'Marr Chase", "jamarr chase"},
		{"Wan'Dale Robinson", "wandale robinson"},
		{"Luka Dončić", "luka doncic"},
		{"Nikola Jokić", "nikola jokic"},
		{"José Ramírez", "jose ramirez"},
		{"  Ravens ", "ravens"},
		{"T.J. McConnell", "tj mcconnell"},
		{"Kenneth Walker III", "kenneth walker"},
		{"Jr.", "jr"},
		{"Malik V", "malik v"}, // two tokens: the "suffix" is kept
		{"", ""},
		{"Shai Gilgeous-Alexander", "shai gilgeous alexander"},
		{"De'Von Achane", "devon achane"},
	}
	for _, tt := range tests {
		if got := NormalizeName(tt.in); got != tt.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeTeam(t *testing.T) {
	tests := []struct {
		sport    slate.Sport
		in, want string
	}{
		{slate.NFL, "JAC", "JAX"}, {slate.NFL, "jax", "JAX"}, {slate.NFL, "WSH", "WAS"}, {slate.NFL, "LA", "LAR"},
		{slate.NFL, "OAK", "LV"}, {slate.NHL, "LA", "LA"}, {slate.NHL, "LAK", "LA"}, {slate.NBA, "GSW", "GS"},
		{slate.NBA, "PHO", "PHX"}, {slate.MLB, "LOS", "LAD"}, {slate.MLB, "SDP", "SD"}, {"", "jac", "JAC"},
	}
	for _, tt := range tests {
		if got := NormalizeTeam(tt.sport, tt.in); got != tt.want {
			t.Errorf("NormalizeTeam(%s, %q) = %q, want %q", tt.sport, tt.in, got, tt.want)
		}
	}
}

func TestNFLDefenseTeam(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ravens", "BAL"}, {"Ravens ", "BAL"}, {"Baltimore Ravens", "BAL"}, {"BAL DST", "BAL"},
		{"Baltimore", "BAL"}, {"Ravens D/ST", "BAL"}, {"Baltimore Defense", "BAL"}, {"JAC", "JAX"},
		{"Jacksonville Jaguars", "JAX"}, {"Redskins", "WAS"}, {"Commanders", "WAS"}, {"Washington Redskins", "WAS"},
		{"49ers", "SF"}, {"San Francisco 49ers", "SF"}, {"New York Giants", "NYG"}, {"NY Jets", "NYJ"},
		{"New York", ""}, {"Los Angeles", ""}, {"Tyler Bills", ""}, {"DST", ""}, {"", ""},
		{"Los Angeles Rams", "LAR"}, {"LA DST", "LAR"}, {"Oakland Raiders", "LV"},
	}
	for _, tt := range tests {
		if got := NFLDefenseTeam(tt.in); got != tt.want {
			t.Errorf("NFLDefenseTeam(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
