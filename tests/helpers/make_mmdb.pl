#!/usr/bin/perl
# make_mmdb.pl LAYOUT OUT.mmdb [alt]: writes a small MaxMind DB mapping the
# documentation ranges (RFC 5737, RFC 3849) for the geography tests.
#   LAYOUT maxmind  GeoLite2-Country layout: country.iso_code
#          cc0      ip-location-db layout: country_code
#          asn      GeoLite2-ASN layout: autonomous_system_number/_organization
# With "alt", 198.51.100.0/24 is IT instead of FR (a database update).
# Needs Debian's libmaxmind-db-writer-perl.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($layout, $out, $alt) = @ARGV;
die "usage: $0 maxmind|cc0|asn OUT.mmdb\n" unless $out;

my %nets = (
	'192.0.2.0/24'    => ['DE', 64496, 'Documentation Net One'],
	'198.51.100.0/24' => ['FR', 64497, 'Documentation Net Two'],
	'203.0.113.0/24'  => ['JP', 64498, 'Documentation <b>Three</b>'],
	'2001:db8::/32'   => ['NL', 64499, 'Documentation Net Six'],
);
$nets{'198.51.100.0/24'}[0] = 'IT' if $alt;
my %types = (
	maxmind => ['GeoLite2-Country', { country => 'map', iso_code => 'utf8_string' }],
	cc0     => ['netstat-exporter-test-country', { country_code => 'utf8_string' }],
	asn     => ['GeoLite2-ASN', { autonomous_system_number => 'uint32',
				  autonomous_system_organization => 'utf8_string' }],
);
my $t = $types{$layout} or die "unknown layout $layout\n";
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version => 6,
	record_size => 24,
	database_type => $t->[0],
	languages => ['en'],
	description => { en => 'netstat_exporter test database' },
	# The documentation ranges are reserved: keep them.
	remove_reserved_networks => 0,
	map_key_type_callback => sub { $t->[1]{ $_[0] } },
);
for my $net (sort keys %nets) {
	my ($cc, $asn, $org) = @{ $nets{$net} };
	my $data = $layout eq 'maxmind' ? { country => { iso_code => $cc } }
		: $layout eq 'cc0' ? { country_code => $cc }
		: { autonomous_system_number => $asn, autonomous_system_organization => $org };
	$tree->insert_network($net, $data);
}
open my $fh, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($fh);
close $fh or die "$out: $!\n";
