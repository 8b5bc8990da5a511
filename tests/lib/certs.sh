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

# Writes DIR/web.yml: TLS with DIR's server.crt and server.key, client
# certificates required and verified against ca.crt, basic auth for user
# prometheus (password "scraper-secret", bcrypt cost 10); each further
# argument ("name: hash") is one more user.
web_config_mtls() { # DIR [USER-LINE...]
	local d=$1 u
	shift
	{
		printf '%s\n' 'tls_server_config:' '  cert_file: server.crt' '  key_file: server.key' \
			'  client_auth_type: RequireAndVerifyClientCert' '  client_ca_file: ca.crt' \
			'basic_auth_users:' '  prometheus: $2y$10$9OUcBeMgBzRsJALHa7IKj.Dddug..qv5nJujWXeYLi86iD4W3dvhm'
		for u in "$@"; do printf '  %s\n' "$u"; done
	} >"$d/web.yml"
}

# One round of every kind of client that TLS port $2 (on 127.0.0.1, as
# localhost) refuses, with the certificates in DIR $1: a wrong password for
# user $3 (one with a costly hash), no client certificate, an untrusted and
# an expired one, plain HTTP, TLS 1.0/1.1. What they get is not looked at.
refused_clients_round() { # DIR PORT USER
	local d=$1 port=$2 url="https://localhost:$2/metrics"
	local tc=(curl -s -o /dev/null --cacert "$d/ca.crt" --resolve "localhost:$port:127.0.0.1")
	"${tc[@]}" --cert "$d/client.crt" --key "$d/client.key" -u "$3:wrong" "$url" || true
	"${tc[@]}" -u prometheus:scraper-secret "$url" || true
	"${tc[@]}" --cert "$d/untrusted.crt" --key "$d/untrusted.key" "$url" || true
	"${tc[@]}" --cert "$d/expired.crt" --key "$d/expired.key" "$url" || true
	curl -s -o /dev/null "http://127.0.0.1:$port/metrics" || true
	gnutls-cli --port "$port" --x509cafile "$d/ca.crt" --x509certfile "$d/client.crt" \
		--x509keyfile "$d/client.key" --priority "NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1" \
		localhost </dev/null >/dev/null 2>&1 || true
}

# N scrapes of https://localhost:PORT/metrics at 5 a second over one
# kept-alive connection (as Prometheus scrapes), with DIR's client
# certificate and user prometheus; appends "seconds status" per scrape to OUT.
good_scrapes() { # DIR PORT N OUT
	local d=$1 port=$2 args=() i
	for i in $(seq "$3"); do args+=(-o /dev/null "https://localhost:$port/metrics"); done
	curl -s --rate 5/s -w '%{time_total} %{http_code}\n' --cacert "$d/ca.crt" \
		--resolve "localhost:$port:127.0.0.1" --cert "$d/client.crt" --key "$d/client.key" \
		-u prometheus:scraper-secret "${args[@]}" >>"$4" || true
}

# good_scrapes while refused_clients_round (wrong password for USER) runs
# again and again; prints how many rounds ran.
good_scrapes_among_refused() { # DIR PORT N OUT USER
	local pid rounds=0
	good_scrapes "$1" "$2" "$3" "$4" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		refused_clients_round "$1" "$2" "$5"
		rounds=$((rounds + 1))
	done
	wait "$pid" || true
	echo "$rounds"
}
