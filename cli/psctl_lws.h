/*
 * psctl_lws.h - libwebsockets loaded on first use (psctl_lws.c): only
 * `psctl --bmc HOST console` speaks HTTPS and WebSocket, and linking
 * libwebsockets (with OpenSSL, libev, libuv, glib behind it) would cost
 * every psctl run its loading, as libcurl would (cli/psctl_curl.c).
 * Call through psctl_lws.NAME after psctl_lws_load() returned 0.
 */
#ifndef PSCTL_LWS_H
#define PSCTL_LWS_H

#include <stddef.h>
#include <libwebsockets.h>

#define PSCTL_LWS_FNS(X)                                                    \
	X(lws_create_context) X(lws_context_destroy)                        \
	X(lws_client_connect_via_info) X(lws_service)                       \
	X(lws_callback_on_writable) X(lws_write) X(lws_hdr_copy)            \
	X(lws_add_http_header_by_token) X(lws_client_http_body_pending)     \
	X(lws_http_client_http_response) X(lws_http_client_read)            \
	X(lws_set_log_level) X(lws_context_user) X(lws_get_context)         \
	X(lws_adopt_descriptor_vhost) X(lws_get_vhost_by_name)              \
	X(lws_frame_is_binary) X(lws_is_final_fragment)

#define PSCTL_LWS_SLOT(f) __typeof__(f) *f;
struct psctl_lws {
	PSCTL_LWS_FNS(PSCTL_LWS_SLOT)
};
extern struct psctl_lws psctl_lws;

/* 0 loaded (now or before), -1 with why in err. */
int psctl_lws_load(char *err, size_t errlen);

#endif /* PSCTL_LWS_H */
