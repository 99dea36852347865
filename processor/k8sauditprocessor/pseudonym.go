// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditprocessor // import "github.com/otelcol-k8saudit/otelcol-k8saudit/processor/k8sauditprocessor"

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// pseudonymPrefix marks a pseudonym, so that nobody mistakes it for a name.
const pseudonymPrefix = "anon:"

// pseudonymizer replaces identities by HMAC-SHA256(key, value): one value
// always gets one pseudonym, across records, restarts and collectors that
// share the key, and without the key the value cannot be found back by
// hashing candidate names.
type pseudonymizer struct {
	users, groups, ips, keepSystem bool
	macs                           sync.Pool // of *pooledMAC
}

// pooledMAC is a keyed HMAC with buffers for its input (a hash takes bytes;
// converting each string would allocate) and output.
type pooledMAC struct {
	mac     hash.Hash
	scratch []byte
	// sum is here because a buffer given to hash.Hash.Sum escapes.
	sum [sha256.Size]byte
}

func newPseudonymizer(cfg *PseudonymizeConfig) *pseudonymizer {
	key := []byte(string(cfg.Key))
	return &pseudonymizer{
		users:      cfg.UserNames,
		groups:     cfg.Groups,
		ips:        cfg.SourceIPs,
		keepSystem: cfg.KeepSystemIdentities,
		macs:       sync.Pool{New: func() any { return &pooledMAC{mac: hmac.New(sha256.New, key)} }},
	}
}

// pseudonymBytes is how much of the HMAC a pseudonym keeps: 80 bits, so
// collisions stay negligible for any realistic number of users and addresses.
const pseudonymBytes = 10

// pseudonym is the prefix and the first pseudonymBytes of the HMAC in hex.
func (p *pseudonymizer) pseudonym(s string) string {
	pm := p.macs.Get().(*pooledMAC)
	pm.mac.Reset()
	pm.scratch = append(pm.scratch[:0], s...)
	_, _ = pm.mac.Write(pm.scratch)
	sum := pm.mac.Sum(pm.sum[:0])
	var out [len(pseudonymPrefix) + 2*pseudonymBytes]byte
	copy(out[:], pseudonymPrefix)
	hex.Encode(out[len(pseudonymPrefix):], sum[:pseudonymBytes])
	if cap(pm.scratch) > 4096 {
		pm.scratch = nil // keep no outsized buffer in the pool
	}
	p.macs.Put(pm)
	return string(out[:])
}

func (p *pseudonymizer) keeps(name string) bool {
	return name == "" || (p.keepSystem && strings.HasPrefix(name, sysPrefix)) || strings.HasPrefix(name, pseudonymPrefix)
}

// replacement is a name and its pseudonym, to be replaced where
// kube-apiserver quotes the name in text ("User \"alice\" cannot list ...").
type replacement struct{ from, to string }

// apply pseudonymises the identities in the body and the attributes of one
// record and returns how many body values it changed.
func (p *pseudonymizer) apply(ev *auditevent.Event, attrs pcommon.Map) int {
	var buf [8]replacement
	repl := buf[:0]
	n := 0
	body := ev.Body
	for _, key := range [...]string{"user", "impersonatedUser"} {
		v, ok := body.Get(key)
		if !ok || v.Type() != pcommon.ValueTypeMap {
			continue
		}
		var c int
		c, repl = p.userInfo(v.Map(), repl)
		n += c
	}
	if p.ips {
		if v, ok := body.Get("sourceIPs"); ok && v.Type() == pcommon.ValueTypeSlice {
			n += p.slice(v.Slice(), false, nil)
		}
	}
	if len(repl) > 0 {
		n += replaceInMessages(body, repl)
	}
	p.attributes(ev, attrs, repl)
	n += p.userAgent(ev, attrs)
	return n
}

// userAgent removes the caller's name from the user agent, where
// kube-controller-manager appends the service account it acts as. Only
// system names are replaced: they cannot be mistaken for other text.
func (p *pseudonymizer) userAgent(ev *auditevent.Event, attrs pcommon.Map) int {
	name := ev.User.Username
	if !p.users || p.keeps(name) || !strings.HasPrefix(name, sysPrefix) || !strings.Contains(ev.UserAgent, name) {
		return 0
	}
	ps := p.pseudonym(name)
	ua := strings.ReplaceAll(ev.UserAgent, name, ps)
	ev.Body.PutStr("userAgent", ua)
	if v, ok := attrs.Get(auditevent.AttrUserAgent); ok {
		v.SetStr(ua)
	}
	return 1
}

func (p *pseudonymizer) userInfo(u pcommon.Map, repl []replacement) (int, []replacement) {
	n := 0
	if name, ok := u.Get("username"); ok && name.Type() == pcommon.ValueTypeStr && p.users && !p.keeps(name.Str()) {
		orig := name.Str()
		ps := p.pseudonym(orig)
		name.SetStr(ps)
		repl = append(repl, replacement{orig, ps})
		// RBAC reasons name a service account "<name>/<namespace>".
		if rest, ok := strings.CutPrefix(orig, saPrefix); ok {
			if ns, sa, ok := strings.Cut(rest, ":"); ok {
				repl = append(repl, replacement{sa + "/" + ns, ps})
			}
		}
		n++
		if uid, ok := u.Get("uid"); ok && uid.Type() == pcommon.ValueTypeStr && uid.Str() != "" {
			uid.SetStr(p.pseudonym(uid.Str()))
			n++
		}
		// extra holds what the authenticator knows of a person (OIDC claims
		// and the like).
		if extra, ok := u.Get("extra"); ok && extra.Type() == pcommon.ValueTypeMap {
			extra.Map().Range(func(_ string, v pcommon.Value) bool {
				switch v.Type() {
				case pcommon.ValueTypeSlice:
					n += p.slice(v.Slice(), false, nil)
				case pcommon.ValueTypeStr:
					v.SetStr(p.pseudonym(v.Str()))
					n++
				}
				return true
			})
		}
	}
	if groups, ok := u.Get("groups"); ok && groups.Type() == pcommon.ValueTypeSlice && p.groups {
		n += p.slice(groups.Slice(), true, &repl)
	}
	return n, repl
}

// slice pseudonymises the strings of s; identities keeps system names.
func (p *pseudonymizer) slice(s pcommon.Slice, identities bool, repl *[]replacement) int {
	n := 0
	for i := 0; i < s.Len(); i++ {
		v := s.At(i)
		if v.Type() != pcommon.ValueTypeStr || v.Str() == "" || strings.HasPrefix(v.Str(), pseudonymPrefix) {
			continue
		}
		if identities && p.keeps(v.Str()) {
			continue
		}
		orig := v.Str()
		ps := p.pseudonym(orig)
		v.SetStr(ps)
		if repl != nil {
			*repl = append(*repl, replacement{orig, ps})
		}
		n++
	}
	return n
}

// replaceInMessages replaces quoted names in the texts where kube-apiserver
// writes them: Status messages and annotations (authorization.k8s.io/reason
// names the user and groups a binding matched).
func replaceInMessages(body pcommon.Map, repl []replacement) int {
	n := 0
	if v, ok := body.Get("responseStatus"); ok && v.Type() == pcommon.ValueTypeMap {
		n += replaceIn(v.Map(), "message", repl)
	}
	if v, ok := body.Get("responseObject"); ok && v.Type() == pcommon.ValueTypeMap {
		if k, ok := v.Map().Get("kind"); ok && k.Type() == pcommon.ValueTypeStr && k.Str() == "Status" {
			n += replaceIn(v.Map(), "message", repl)
		}
	}
	if v, ok := body.Get("annotations"); ok && v.Type() == pcommon.ValueTypeMap {
		v.Map().Range(func(_ string, a pcommon.Value) bool {
			if a.Type() == pcommon.ValueTypeStr {
				if out := replaceQuoted(a.Str(), repl); out != a.Str() {
					a.SetStr(out)
					n++
				}
			}
			return true
		})
	}
	return n
}

func replaceIn(m pcommon.Map, key string, repl []replacement) int {
	v, ok := m.Get(key)
	if !ok || v.Type() != pcommon.ValueTypeStr {
		return 0
	}
	if out := replaceQuoted(v.Str(), repl); out != v.Str() {
		v.SetStr(out)
		return 1
	}
	return 0
}

func replaceQuoted(s string, repl []replacement) string {
	for _, r := range repl {
		// Most texts do not name the user: look before building the quoted form.
		if !strings.Contains(s, r.from) {
			continue
		}
		q := `"` + r.from + `"`
		if strings.Contains(s, q) {
			s = strings.ReplaceAll(s, q, `"`+r.to+`"`)
		}
	}
	return s
}

// attributes pseudonymises the attributes the receiver and the enrichment
// derive from the identity fields, with the same pseudonyms as the body.
func (p *pseudonymizer) attributes(ev *auditevent.Event, attrs pcommon.Map, repl []replacement) {
	if p.users {
		user := !p.keeps(ev.User.Username)
		for _, key := range [...]string{auditevent.AttrUserName, auditevent.AttrImpersonatedUserName} {
			if v, ok := attrs.Get(key); ok && v.Type() == pcommon.ValueTypeStr && !p.keeps(v.Str()) {
				v.SetStr(p.pseudonym(v.Str()))
			}
		}
		if user {
			if v, ok := attrs.Get(auditevent.AttrUserID); ok && v.Type() == pcommon.ValueTypeStr {
				v.SetStr(p.pseudonym(v.Str()))
			}
		}
		if !p.keepSystem {
			// Parts of system names the enrichment split out.
			for _, key := range [...]string{attrUserSANamespace, attrUserSAName, attrUserNodeName} {
				if v, ok := attrs.Get(key); ok && v.Type() == pcommon.ValueTypeStr && !strings.HasPrefix(v.Str(), pseudonymPrefix) {
					v.SetStr(p.pseudonym(v.Str()))
				}
			}
		}
	}
	if p.groups {
		for _, key := range [...]string{auditevent.AttrUserGroup, auditevent.AttrImpersonatedUserGroups} {
			if v, ok := attrs.Get(key); ok && v.Type() == pcommon.ValueTypeSlice {
				p.slice(v.Slice(), true, nil)
			}
		}
	}
	if p.ips {
		if v, ok := attrs.Get(auditevent.AttrClientAddress); ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "" && !strings.HasPrefix(v.Str(), pseudonymPrefix) {
			v.SetStr(p.pseudonym(v.Str()))
		}
		if v, ok := attrs.Get(auditevent.AttrSourceIPs); ok && v.Type() == pcommon.ValueTypeSlice {
			p.slice(v.Slice(), false, nil)
		}
	}
	if len(repl) > 0 {
		if v, ok := attrs.Get(auditevent.AttrAuthzReason); ok && v.Type() == pcommon.ValueTypeStr {
			v.SetStr(replaceQuoted(v.Str(), repl))
		}
	}
}
