# Certificates for the TLS tests, made fresh by every run with certtool
# (gnutls-bin). Source it and call make_certs DIR; DIR then holds (PEM):
#   ca.crt                    the client CA (also signs the server)
#   server.crt server.key     for 127.0.0.1 / localhost
#   client.crt client.key     a scraper's certificate from ca.crt (DNS name
#                             prometheus.example)
#   other.crt other.key       another one from ca.crt (DNS name other.example)
#   untrusted.crt .key        a client certificate from another CA
#   expired.crt expired.key   from ca.crt, valid 2020-2021 only
# Keys are ECDSA P-256: quick to make and to use.

_cert() { # name signer-name|"" template-lines...
	local dir=$1 name=$2 signer=$3
	shift 3
	printf '%s\n' "$@" >"$dir/$name.tmpl"
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 \
		--outfile "$dir/$name.key" >/dev/null 2>&1 || return 1
	if [ -z "$signer" ]; then
		certtool --generate-self-signed --load-privkey "$dir/$name.key" \
			--template "$dir/$name.tmpl" --outfile "$dir/$name.crt" >/dev/null 2>&1
	else
		certtool --generate-certificate --load-privkey "$dir/$name.key" \
			--load-ca-certificate "$dir/$signer.crt" --load-ca-privkey "$dir/$signer.key" \
			--template "$dir/$name.tmpl" --outfile "$dir/$name.crt" >/dev/null 2>&1
	fi
}

make_certs() {
	local d=$1
	command -v certtool >/dev/null || { echo "certtool not installed (gnutls-bin)" >&2; return 1; }
	mkdir -p "$d"
	_cert "$d" ca "" 'cn = "netstat_exporter test CA"' ca cert_signing_key 'expiration_days = 2' &&
	_cert "$d" other-ca "" 'cn = "some other CA"' ca cert_signing_key 'expiration_days = 2' &&
	_cert "$d" server ca 'cn = "localhost"' 'dns_name = "localhost"' 'ip_address = "127.0.0.1"' \
		tls_www_server signing_key 'expiration_days = 2' &&
	_cert "$d" client ca 'cn = "prometheus"' 'dns_name = "prometheus.example"' tls_www_client \
		signing_key 'expiration_days = 2' &&
	_cert "$d" other ca 'cn = "other"' 'dns_name = "other.example"' tls_www_client signing_key \
		'expiration_days = 2' &&
	_cert "$d" untrusted other-ca 'cn = "prometheus"' tls_www_client signing_key 'expiration_days = 2' &&
	_cert "$d" expired ca 'cn = "prometheus"' tls_www_client signing_key \
		'activation_date = "2020-01-01 00:00:00 UTC"' 'expiration_date = "2021-01-01 00:00:00 UTC"' &&
	chmod 0644 "$d"/*.crt && chmod 0600 "$d"/*.key
}
