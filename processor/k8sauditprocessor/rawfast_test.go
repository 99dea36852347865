// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// plainMetadataEvent is a Metadata-level event as kube-apiserver logs most
// of them: what the raw fast path exists for.
const plainMetadataEvent = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods?watch=1","verb":"watch","user":{"username":"alice","groups":["dev","system:authenticated"]},"sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.37.2","objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-22T13:28:46.768432Z","stageTimestamp":"2026-11-22T13:28:46.771358Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"dev\""}}`

// The raw fast path must give exactly what parsing the body gives, for
// every configuration and input, and must be taken for the plain events
// it exists for.
func TestRawFastPathMatchesParsing(t *testing.T) {
	examples, err := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, examples)
	plain := plainMetadataEvent
	crafted := map[string]string{
		"plain":                     plain,
		"forbid":                    strings.Replace(strings.Replace(plain, `"allow"`, `"forbid"`, 1), `"code":200`, `"code":403`, 1),
		"bearer in the user agent":  strings.Replace(plain, `kubectl/v1.37.2`, `curl Bearer abcdefghijkl`, 1),
		"JWT in the URI":            strings.Replace(plain, `watch=1`, `token=eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl`, 1),
		"escape spelling bearer":    strings.Replace(plain, `kubectl/v1.37.2`, `\u0062earer abcdefghijkl`, 1),
		"escaped name":              strings.Replace(plain, `"verb"`, `"v\u0065rb"`, 1),
		"escaped ampersand":         strings.Replace(plain, `watch=1`, `watch=1\u0026timeout=5m\u003c\u003e`, 1),
		"escaped ampersand, then b": strings.Replace(plain, `kubectl/v1.37.2`, `a\u0026\u0062earer abcdefghijkl`, 1),
		"escaped quote and letter":  strings.Replace(plain, `kubectl/v1.37.2`, `\"\u0042earer abcdefghijkl\"`, 1),
		"Secret named in a reason":  strings.Replace(plain, `RoleBinding \"dev\"`, `RoleBinding \"Secret-readers\"`, 1),
		"not valid: no stage time":  strings.Replace(plain, `,"stageTimestamp":"2026-11-22T13:28:46.771358Z"`, ``, 1),
		"service account":           strings.Replace(plain, `"username":"alice"`, `"username":"system:serviceaccount:kube-system:deployment-controller"`, 1),
		"node":                      strings.Replace(plain, `"username":"alice"`, `"username":"system:node:worker-1"`, 1),
		"object with a secret kind": strings.Replace(plain, `"responseStatus"`, `"responseObject":{"kind":"Secret","data":{"k":"dg=="}},"responseStatus"`, 1),
	}
	configs := map[string]func() *Config{
		"defaults":    func() *Config { return createDefaultConfig().(*Config) },
		"no features": noFeatures,
		"no redaction": func() *Config {
			cfg := createDefaultConfig().(*Config)
			cfg.Redaction.Secrets, cfg.Redaction.Tokens = false, false
			return cfg
		},
		"tokens only": func() *Config {
			cfg := createDefaultConfig().(*Config)
			cfg.Redaction.Secrets = false
			return cfg
		},
	}
	fastTaken := 0
	for cfgName, newCfg := range configs {
		fast := newTestProcessor(t, newCfg())
		slow := newTestProcessor(t, newCfg())
		slow.noRawFastPath = true
		check := func(name string, in string) {
			t.Run(cfgName+"/"+name, func(t *testing.T) {
				ld := logsFrom(t, true, in)
				if _, ok := fast.scanRaw(records(ld)[0]); ok {
					fastTaken++
				}
				want := process(t, slow, cloneLogs(ld))
				got := process(t, fast, ld)
				require.NoError(t, plogtest.CompareLogs(want, got))
			})
			// A record of a receiver that did not carry the request's time
			// (before k8s.audit.request_received_time): latency reads the text.
			t.Run(cfgName+"/"+name+"/no request time attribute", func(t *testing.T) {
				ld := logsFrom(t, true, in)
				for _, lr := range records(ld) {
					lr.Attributes().Remove(auditevent.AttrRequestReceivedTime)
				}
				want := process(t, slow, cloneLogs(ld))
				got := process(t, fast, ld)
				require.NoError(t, plogtest.CompareLogs(want, got))
			})
			// An attribute another processor set, not sliced from the text:
			// the fast path leaves only the text's own strings unsearched.
			t.Run(cfgName+"/"+name+"/token in another attribute", func(t *testing.T) {
				ld := logsFrom(t, true, in)
				for _, lr := range records(ld) {
					lr.Attributes().PutStr("x.note", strings.Clone("curl Bearer abcdefghijkl"))
					lr.Attributes().PutEmptySlice("x.list").AppendEmpty().SetStr("eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl")
				}
				want := process(t, slow, cloneLogs(ld))
				got := process(t, fast, ld)
				require.NoError(t, plogtest.CompareLogs(want, got))
				if !newCfg().Redaction.Tokens {
					return
				}
				for _, lr := range records(got) {
					v, _ := lr.Attributes().Get("x.note")
					assert.NotContains(t, v.Str(), "abcdefghijkl")
				}
			})
			// A record that did not come from the receiver: the text only.
			t.Run(cfgName+"/"+name+"/foreign", func(t *testing.T) {
				ld := logsFrom(t, true, in)
				for _, lr := range records(ld) {
					lr.Attributes().RemoveIf(func(k string, _ pcommon.Value) bool { return k != auditevent.AttrAuditID })
					lr.SetTimestamp(0)
				}
				want := process(t, slow, cloneLogs(ld))
				got := process(t, fast, ld)
				require.NoError(t, plogtest.CompareLogs(want, got))
			})
		}
		for _, path := range examples {
			check(filepath.Base(path), path)
		}
		for name, in := range crafted {
			if name == "not valid: no stage time" {
				continue // not an event for logsFrom; see below
			}
			check(name, in)
		}
	}
	assert.Greater(t, fastTaken, len(configs), "the fast path was hardly ever taken")

	p := newTestProcessor(t, createDefaultConfig().(*Config))
	for name, want := range map[string]bool{
		"plain": true, "forbid": true, "service account": true, "node": true,
		"bearer in the user agent": false, "JWT in the URI": false, "escape spelling bearer": false,
		"escaped name": false, "Secret named in a reason": false, "not valid: no stage time": false,
		"object with a secret kind": false,
	} {
		_, ok := p.scanRaw(foreignRecord(crafted[name]))
		assert.Equal(t, want, ok, name)
		if name != "not valid: no stage time" {
			_, ok = p.scanRaw(records(logsFrom(t, true, crafted[name]))[0])
			assert.Equal(t, want, ok, name+", from the receiver")
		}
	}
}

// foreignRecord is a record of text that the receiver did not make: its
// body and k8s.audit.id only.
func foreignRecord(text string) plog.LogRecord {
	lr := plog.NewLogRecord()
	lr.Body().SetStr(text)
	lr.Attributes().PutStr(auditevent.AttrAuditID, "a1")
	return lr
}

func cloneLogs(ld plog.Logs) plog.Logs {
	out := plog.NewLogs()
	ld.CopyTo(out)
	return out
}

func TestHasObjectMember(t *testing.T) {
	for _, in := range []string{
		``, `Object"`, `"requestObject"`, `{"responseObject":{}}`, `"kind":"SomeObject","requestObject":1`,
		`"requestObject`, `requestObject"`, `"xresponseObject"`, `"response Object"`, plainMetadataEvent,
	} {
		want := strings.Contains(in, `"requestObject"`) || strings.Contains(in, `"responseObject"`)
		assert.Equal(t, want, hasObjectMember(in), in)
	}
}

func TestHasEyJ(t *testing.T) {
	for _, in := range []string{``, `J`, `yJ`, `eyJ`, `xeyJ`, `eJ yJ ey J`, `JJeyJ`, `eyj`, `EYJ`} {
		assert.Equal(t, strings.Contains(in, "eyJ"), hasEyJ(in), in)
	}
}

// containsBy must agree with strings.Contains wherever the byte it searches
// by falls: before the needle could start, at either end, repeated.
func TestContainsBy(t *testing.T) {
	const sub = "last-applied-configuration"
	for _, in := range []string{``, `f`, sub, sub[1:], sub[:len(sub)-1], `x` + sub, sub + `x`,
		`ffff` + sub, `configuration last-applied-` + sub[:20], `last-applied-con` + sub, `fl` + sub + `f`} {
		assert.Equal(t, strings.Contains(in, sub), containsBy(in, sub, 'f'), in)
	}
	for _, in := range []string{`ab`, `ba`, `aab`, `b`, `abab`} {
		assert.Equal(t, strings.Contains(in, "ab"), containsBy(in, "ab", 'a'), in)
		assert.Equal(t, strings.Contains(in, "ab"), containsBy(in, "ab", 'b'), in)
	}
}

func TestMayEscapeALetter(t *testing.T) {
	for in, want := range map[string]bool{
		`plain`:                 false,
		`a\u0026b\u003c\u003e`:  false,
		`\u2028\u2029`:          false,
		`a\u0026\u0062`:         true,
		`\u0042earer`:           true,
		`\u003C`:                true, // not how Go writes it: read it the slow way
		`\u00`:                  true,
		`\\u0026 then \u0065`:   true,
		`\" \\ \/ \n \t \u0026`: false,
	} {
		assert.Equal(t, want, mayEscapeALetter(in), in)
	}
}
