# Shared by the bench scripts (source it): a throwaway nginx on 127.0.0.1 for the peers.
#   start_nginx WORK PORT CPUS NGINX_BIN [WORKERS]
#                                         WORKERS (default 1) pinned to CPUS (a taskset list),
#                                         `return 200 "ok"`, stub_status at /status; sets NGINX_PID.
#                                         With NGINX_TLS_PORT set: also TLS on that port (ALPN h2
#                                         and http/1.1, a self-signed certificate made in WORK);
#                                         with NGINX_H2C_PORT set: h2c (prior knowledge) there.
#                                         /1m answers 1 MiB (a file made in WORK);
#                                         /j/… answers {"id":"p-4b1c9e07"} (journeys);
#                                         NGINX_WORKER_CONNECTIONS (4096) per worker.
#   served                                nginx's request counter (the fetch itself included)
#   stop_nginx                            stops the nginx this script started (by $NGINX_PID
#                                         only), for the caller's EXIT trap

start_nginx() {
    local work=$1 port=$2 cpu=$3 bin=$4 workers=${5:-1}
    mkdir -p "$work/tmp"
    [ -f "$work/1m.bin" ] || head -c 1048576 /dev/zero | tr '\0' x >"$work/1m.bin"
    local extra=""
    if [ -n "${NGINX_TLS_PORT:-}" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
            -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
        extra+="listen 127.0.0.1:$NGINX_TLS_PORT ssl http2; ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem; ssl_session_cache shared:S:1m;"
    fi
    [ -n "${NGINX_H2C_PORT:-}" ] && extra+=" listen 127.0.0.1:$NGINX_H2C_PORT http2;"
    cat >"$work/nginx.conf" <<CONF
daemon off;
master_process $([ "$workers" -gt 1 ] && echo on || echo off);
worker_processes $workers;
error_log $work/error.log;
pid $work/nginx.pid;
worker_rlimit_nofile $((${NGINX_WORKER_CONNECTIONS:-4096} * 2 + 64));
events { worker_connections ${NGINX_WORKER_CONNECTIONS:-4096}; }
http {
    access_log off;
    client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    server {
        listen 127.0.0.1:$port;
        $extra
        http2_max_concurrent_streams 128;
        location = /status { stub_status; }
        location = /1m { default_type application/octet-stream; alias $work/1m.bin; }
        location /j/ { default_type application/json; return 200 '{"id":"p-4b1c9e07"}'; }
        location / { return 200 "ok"; }
    }
}
CONF
    taskset -c "$cpu" "$bin" -p "$work" -c "$work/nginx.conf" -e "$work/error.log" &
    NGINX_PID=$!
    NGINX_PORT=$port
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    kill -0 "$NGINX_PID" || { cat "$work/error.log" >&2; return 1; }
}

served() {
    exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT"
    printf 'GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
    awk 'f { print $3; exit } /server accepts/ { f = 1 }' <&3
    exec 3<&-
}

stop_nginx() {
    if [ -n "${NGINX_PID:-}" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
}
