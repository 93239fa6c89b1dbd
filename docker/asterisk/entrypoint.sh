#!/bin/sh
# Install the Switchboard base configuration into /etc/asterisk (a volume shared with the web, which
# writes the seats, trunks and routes files next to these), render the AMI user from the
# environment, then run Asterisk in the foreground.
#   AMI_SECRET     the node's secret as entered in the admin (required; at least 24 characters)
#   AMI_USERNAME   the node's AMI user (default switchboard)
#   AMI_PERMIT     addresses AMI accepts, "addr/mask" separated by spaces (default: the private ranges)
#   TEST_CARRIER   1: add a test carrier on 127.0.0.2:5062 that answers every call itself (a smoke
#                  test's far end, see test-carrier/; never for real calls)
set -eu
: "${AMI_SECRET:?set AMI_SECRET (the node's secret in the admin)}"
here=/usr/share/switchboard/asterisk
etc=/etc/asterisk
cp "$here"/pjsip.conf "$here"/extensions.conf "$here"/modules.conf "$etc"/
rm -f "$etc"/pjsip-test-carrier.conf "$etc"/extensions-test-carrier.conf
if [ "${TEST_CARRIER:-}" = 1 ]; then
    cp "$here"/test-carrier/*.conf "$etc"/
fi
umask 077
{
    echo "; Rendered by the container's entrypoint from its environment."
    echo "[general]"
    echo "enabled = yes"
    echo "bindaddr = 0.0.0.0"
    echo "port = 5038"
    echo "displayconnects = no"
    echo "timestampevents = yes"
    echo "channelvars = sb_attempt_id"
    echo
    echo "[${AMI_USERNAME:-switchboard}]"
    echo "secret = $AMI_SECRET"
    echo "deny = 0.0.0.0/0.0.0.0"
    for net in ${AMI_PERMIT:-10.0.0.0/255.0.0.0 172.16.0.0/255.240.0.0 192.168.0.0/255.255.0.0 127.0.0.0/255.0.0.0}; do
        echo "permit = $net"
    done
    echo "read = all"
    echo "write = all"
    echo "writetimeout = 5000"
} > "$etc/manager.conf"
mkdir -p /var/spool/asterisk/monitor /var/spool/asterisk/fax
exec /usr/sbin/asterisk -f
