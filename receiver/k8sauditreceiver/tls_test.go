// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testPKI is what a cluster operator sets up for the audit webhook: a CA that
// signed the collector's serving certificate, and a CA that signed the client
// certificate kube-apiserver presents (named in its webhook kubeconfig).
type testPKI struct {
	serverCA, serverCert, serverKey string
	clientCA, clientCert, clientKey string
	// otherClientCert and otherClientKey are signed by a CA the server does not trust.
	otherClientCert, otherClientKey string
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	serverCA, serverCAKey := newCA(t, "audit-webhook-serving-ca")
	clientCA, clientCAKey := newCA(t, "kube-apiserver-client-ca")
	otherCA, otherCAKey := newCA(t, "untrusted-ca")

	p := testPKI{
		serverCA: writePEM(t, dir, "server-ca.crt", "CERTIFICATE", serverCA.Raw),
		clientCA: writePEM(t, dir, "client-ca.crt", "CERTIFICATE", clientCA.Raw),
	}
	p.serverCert, p.serverKey = newLeaf(t, dir, "server", serverCA, serverCAKey, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = newLeaf(t, dir, "client", clientCA, clientCAKey, x509.ExtKeyUsageClientAuth)
	p.otherClientCert, p.otherClientKey = newLeaf(t, dir, "other-client", otherCA, otherCAKey, x509.ExtKeyUsageClientAuth)
	return p
}

func newCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert, key
}

func newLeaf(t *testing.T, dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return writePEM(t, dir, name+".crt", "CERTIFICATE", der), writePEM(t, dir, name+".key", "EC PRIVATE KEY", keyDER)
}

func writePEM(t *testing.T, dir, name, blockType string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600))
	return path
}
