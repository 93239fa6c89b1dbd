#!/bin/sh
# Render the ESL and mod_xml_curl settings from the environment, then run FreeSWITCH in the foreground.
# NODE_NAME / NODE_SECRET: the node as entered in the admin (kind freeswitch); the secret is both the
# ESL password the runner uses and the HTTP basic-auth password of the xml_curl requests.
set -eu
: "${NODE_NAME:?set NODE_NAME}" "${NODE_SECRET:?set NODE_SECRET}" "${SWITCHBOARD_WEB_URL:?set SWITCHBOARD_WEB_URL}"
export ESL_LISTEN_IP="${ESL_LISTEN_IP:-127.0.0.1}" ESL_ACL="${ESL_ACL:-loopback.auto}"
conf=/usr/local/freeswitch/conf/autoload_configs
envsubst < /etc/switchboard/event_socket.conf.xml.in > "$conf/event_socket.conf.xml"
envsubst < /etc/switchboard/xml_curl.conf.xml.in > "$conf/xml_curl.conf.xml"
exec /usr/local/freeswitch/bin/freeswitch -nonat -nf -c
