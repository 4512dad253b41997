#!/bin/sh
# certbot deploy hook: after a certificate is renewed, nginx picks it up without dropping
# connections. Install as /etc/letsencrypt/renewal-hooks/deploy/reload-nginx.sh (mode 0755);
# certbot runs every script there after each successful renewal.
set -eu
nginx -t -q
systemctl reload nginx
