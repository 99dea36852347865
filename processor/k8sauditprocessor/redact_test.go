// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

const testKey = "test-key-0123456789abcdef"

func pseudonymizeAll() configoptional.Optional[PseudonymizeConfig] {
	return configoptional.Some(PseudonymizeConfig{Key: testKey, UserNames: true, Groups: true, SourceIPs: true, KeepSystemIdentities: true})
}

// TestRedactGolden: the default redaction, on the captured Secret events and
// the kubectl apply webhook batch (last-applied annotations).
func TestRedactGolden(t *testing.T) {
	inputs := []string{
		example("ResponseComplete-create-secret"),
		example("ResponseComplete-get-secret"),
		example("ResponseComplete-tokenreview"),
		filepath.Join(webhookDir, "001567.body"),
	}
	cfg := noFeatures()
	cfg.Redaction = createDefaultConfig().(*Config).Redaction
	for _, raw := range []bool{false, true} {
		name := "structured"
		if raw {
			name = "raw"
		}
		t.Run(name, func(t *testing.T) {
			out := process(t, newTestProcessor(t, cfg), logsFrom(t, raw, inputs...))
			compareGolden(t, filepath.Join("testdata", "redact", "default-"+name+".yaml"), out)
		})
	}
}

// TestRedactUserRulesGolden: paths removed and masked, objects dropped, and
// pseudonyms.
func TestRedactUserRulesGolden(t *testing.T) {
	cfg := noFeatures()
	cfg.Enrich.UserKind = true
	cfg.Redaction = createDefaultConfig().(*Config).Redaction
	cfg.Redaction.RemovePaths = []string{"responseObject.metadata.managedFields", "requestObject.spec.template.spec.containers.image"}
	cfg.Redaction.MaskPaths = []string{"responseObject.spec.template.spec.containers.*", "userAgent"}
	cfg.Redaction.DropObjects = []string{"replicasets.apps"}
	cfg.Redaction.Pseudonymize = pseudonymizeAll()
	inputs := []string{
		example("ResponseComplete-create-deployment"),
		example("ResponseComplete-rs-create-by-controller"),
		example("ResponseComplete-403-alice"),
		example("ResponseComplete-impersonated"),
		example("ResponseComplete-serviceaccount-user"),
	}
	out := process(t, newTestProcessor(t, cfg), logsFrom(t, false, inputs...))
	compareGolden(t, filepath.Join("testdata", "redact", "user-rules.yaml"), out)
}

func TestPseudonymsAreStableAndComplete(t *testing.T) {
	cfg := noFeatures()
	cfg.Enrich.UserKind = true
	cfg.Redaction.Pseudonymize = pseudonymizeAll()
	inputs := []string{example("ResponseComplete-403-alice"), example("ResponseComplete-impersonated")}

	out1 := process(t, newTestProcessor(t, cfg), logsFrom(t, false, inputs...))
	// A new processor (a restart) with the same key gives the same pseudonyms.
	out2 := process(t, newTestProcessor(t, cfg), logsFrom(t, false, inputs...))
	assert.Equal(t, marshalAll(t, out1), marshalAll(t, out2))

	all := marshalAll(t, out1)
	for _, identity := range []string{`"alice"`, `"bob"`, `"admin"`, "uid-alice", "uid-admin", "127.0.0.1", `User \"alice\"`, `"developers"`} {
		assert.False(t, strings.Contains(all, identity), "%s survived", identity)
	}
	alice := records(out1)[0]
	name, _ := alice.Attributes().Get(auditevent.AttrUserName)
	bodyName, _ := alice.Body().Map().Get("user")
	username, _ := bodyName.Map().Get("username")
	assert.Equal(t, name.Str(), username.Str(), "attribute and body carry the same pseudonym")
	assert.True(t, strings.HasPrefix(name.Str(), pseudonymPrefix))
	kind, _ := alice.Attributes().Get(attrUserKind)
	assert.Equal(t, userKindPerson, kind.Str(), "the kind is computed from the real name")
	// System identities are kept.
	groups, _ := alice.Attributes().Get(auditevent.AttrUserGroup)
	assert.Contains(t, groups.Slice().AsRaw(), "system:authenticated")

	// Another key gives other pseudonyms.
	cfg.Redaction.Pseudonymize.Get().Key = "another-key-0123456789"
	out3 := process(t, newTestProcessor(t, cfg), logsFrom(t, false, inputs...))
	name3, _ := records(out3)[0].Attributes().Get(auditevent.AttrUserName)
	assert.NotEqual(t, name.Str(), name3.Str())
}

func TestPseudonymizeSystemIdentitiesToo(t *testing.T) {
	cfg := noFeatures()
	cfg.Enrich.UserKind = true
	cfg.Redaction.Pseudonymize = pseudonymizeAll()
	cfg.Redaction.Pseudonymize.Get().KeepSystemIdentities = false
	out := process(t, newTestProcessor(t, cfg), logsFrom(t, false, example("ResponseComplete-pod-create-by-controller")))
	all := marshalAll(t, out)
	// The uid and extra (the token's credential ID) go with the name.
	for _, identity := range []string{"system:serviceaccount:kube-system:replicaset-controller", `"replicaset-controller"`, `replicaset-controller/kube-system`,
		"2e7b2048-a43d-4355-8739-f9c6ad039bca", "ae7ef30f-b6b3-410b-bd7a-08b17f393197"} {
		assert.False(t, strings.Contains(all, identity), "%s survived", identity)
	}
}

func TestPathSyntax(t *testing.T) {
	p, err := parsePath(`a.b\.c.*`)
	require.NoError(t, err)
	assert.Equal(t, bodyPath{"a", "b.c", "*"}, p)

	m := pcommon.NewMap()
	require.NoError(t, m.FromRaw(map[string]any{
		"spec": map[string]any{"containers": []any{
			map[string]any{"env": []any{map[string]any{"name": "A", "value": "x"}, map[string]any{"name": "B", "value": "y"}}},
			map[string]any{"env": []any{map[string]any{"name": "C", "value": "z"}}},
		}},
		"metadata": map[string]any{"annotations": map[string]any{"example.com/token": "t", "keep": "k"}},
	}))
	p, _ = parsePath("spec.containers.env.value")
	assert.Equal(t, 3, p.mask(m))
	assert.Equal(t, 0, p.mask(m), "masking twice counts once")
	p, _ = parsePath(`metadata.annotations.example\.com/token`)
	assert.Equal(t, 1, p.remove(m))
	raw := m.AsRaw()
	assert.Equal(t, map[string]any{"keep": "k"}, raw["metadata"].(map[string]any)["annotations"])
	p, _ = parsePath("spec.containers.*")
	clone := pcommon.NewMap()
	m.CopyTo(clone)
	assert.Equal(t, 2, p.remove(clone), "* removes every key")
	assert.Equal(t, []any{map[string]any{}, map[string]any{}}, clone.AsRaw()["spec"].(map[string]any)["containers"])
	env := raw["spec"].(map[string]any)["containers"].([]any)[1].(map[string]any)["env"].([]any)[0]
	assert.Equal(t, map[string]any{"name": "C", "value": redactedMask}, env)
}

// The cheap tests never miss what the expressions match, whatever the
// strings are made of; their word-at-a-time gates agree with a byte loop.
func TestMayHoldTokenNeverMisses(t *testing.T) {
	r := newRedactor(&RedactionConfig{Tokens: true})
	parts := []string{"e", "y", "J", "b", "B", "ear", "EaR", "er", "eR", "bearer", "BeArEr", "eyJ", "eyJab",
		".", " ", "\t", "\n", "\f", "\r", "\v", "x", "9", "=", "-", "_", "\x80", "\xff", "!"}
	rng := rand.New(rand.NewPCG(1, 2))
	matched := 0
	for range 200_000 {
		var b strings.Builder
		for n := 8 + rng.IntN(40); b.Len() < n; {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		s := b.String()
		if r.jwt.MatchString(s) || r.bearer.MatchString(s) {
			matched++
			require.True(t, mayHoldToken(s), "%q", s)
			require.True(t, keyMayHoldToken(s), "%q", s)
		}
		low, j := false, false
		for _, c := range []byte(s) {
			low = low || c < '!'
			j = j || c == 'J'
		}
		require.Equal(t, low || j, hasJOrLowByte(s), "%q", s)
	}
	require.Greater(t, matched, 1000, "too few strings hold a token to test anything")
}

func TestScrubString(t *testing.T) {
	r := newRedactor(&RedactionConfig{Tokens: true})
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	tests := map[string]string{
		"plain text":                     "plain text",
		"Authorization: Bearer abc.def=": "Authorization: Bearer " + redactedMask,
		"bearer " + jwt:                  "bearer " + redactedMask,
		"token=" + jwt + "&x=1":          "token=" + redactedMask + "&x=1",
		"eyJ but no token":               "eyJ but no token",
		"a bearer of news":               "a bearer " + redactedMask + " news",
	}
	tests["eyJab.c."] = redactedMask // the shortest token
	tests["bearer x"] = "bearer " + redactedMask
	tests["BeArEr x"] = "BeArEr " + redactedMask
	for in, want := range tests {
		assert.Equal(t, want, r.scrubString(in), in)
		// The cheap tests never miss what the expressions find, in short
		// strings or long ones.
		if want != in {
			assert.True(t, keyMayHoldToken(in), in)
			assert.True(t, mayHoldToken(in), in)
			long := strings.Repeat("b-e-", 20) + in + strings.Repeat(" ", 40)
			assert.True(t, mayHoldToken(long), long)
			assert.NotEqual(t, long, r.scrubString(long))
		}
	}
}
