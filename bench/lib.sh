# Shared by the bench scripts (sourced): a free loopback port, and the
# nginx reference every ratio is measured against.

px_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# px_nginx_conf DIR PORT [BODY]: writes DIR/nginx.conf for one nginx worker
# in the foreground on 127.0.0.1:PORT, answering every request with 200 and
# BODY (as JSON; none when BODY is empty), with all its files under DIR.
px_nginx_conf() {
    local dir=$1 port=$2 body=${3:-} loc
    if [ -n "$body" ]; then
        loc="default_type application/json;
        location / { return 200 '$body'; }"
    else
        loc="location / { return 200; }"
    fi
    mkdir -p "$dir/logs" "$dir/tmp"
    cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/tmp;
    proxy_temp_path $dir/tmp;
    fastcgi_temp_path $dir/tmp;
    uwsgi_temp_path $dir/tmp;
    scgi_temp_path $dir/tmp;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$port;
        $loc
    }
}
CONF
}

# px_cpu_ticks PID: the CPU time (user + system, clock ticks) process PID
# has used; per request, it does not depend on how the cores were shared.
px_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
