// Field-by-field provider comparison for tests (Provider has no operator==: `builtin` is not
// part of its JSON form, and a test should say which field differs).
#pragma once

#include <gtest/gtest.h>

#include "latchkey/provider.hpp"

namespace latchkey::testing {

inline void ExpectSameProvider(const Provider& a, const Provider& b) {
  SCOPED_TRACE("provider " + a.key);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.display_name, b.display_name);
  EXPECT_EQ(a.auth_mode, b.auth_mode);
  EXPECT_EQ(a.authorization_endpoint, b.authorization_endpoint);
  EXPECT_EQ(a.token_endpoint, b.token_endpoint);
  EXPECT_EQ(a.request_token_endpoint, b.request_token_endpoint);
  EXPECT_EQ(a.signature_method, b.signature_method);
  EXPECT_EQ(a.revocation_endpoint, b.revocation_endpoint);
  EXPECT_EQ(a.userinfo_endpoint, b.userinfo_endpoint);
  EXPECT_EQ(a.device_authorization_endpoint, b.device_authorization_endpoint);
  EXPECT_EQ(a.pushed_authorization_request_endpoint, b.pushed_authorization_request_endpoint);
  EXPECT_EQ(a.resource, b.resource);
  EXPECT_EQ(a.issuer, b.issuer);
  EXPECT_EQ(a.authorization_response_iss_parameter_supported, b.authorization_response_iss_parameter_supported);
  EXPECT_EQ(a.api_base_url, b.api_base_url);
  EXPECT_EQ(a.default_scopes, b.default_scopes);
  EXPECT_EQ(a.scope_separator, b.scope_separator);
  EXPECT_EQ(a.scope_param, b.scope_param);
  EXPECT_EQ(a.pkce, b.pkce);
  EXPECT_EQ(a.token_endpoint_auth_method, b.token_endpoint_auth_method);
  ASSERT_EQ(a.signed_client_secret.has_value(), b.signed_client_secret.has_value());
  if (a.signed_client_secret) {
    EXPECT_EQ(a.signed_client_secret->issuer, b.signed_client_secret->issuer);
    EXPECT_EQ(a.signed_client_secret->audience, b.signed_client_secret->audience);
    EXPECT_EQ(a.signed_client_secret->algorithm, b.signed_client_secret->algorithm);
    EXPECT_EQ(a.signed_client_secret->lifetime_seconds, b.signed_client_secret->lifetime_seconds);
  }
  EXPECT_EQ(a.authorization_params, b.authorization_params);
  EXPECT_EQ(a.token_params, b.token_params);
  EXPECT_EQ(a.exchange_params, b.exchange_params);
  EXPECT_EQ(a.token_request_headers, b.token_request_headers);
  EXPECT_EQ(a.api_headers, b.api_headers);
  EXPECT_EQ(a.revocation_style, b.revocation_style);
  EXPECT_EQ(a.client_credentials_grant_type, b.client_credentials_grant_type);
  for (auto [x, y] : {std::pair{&a.refresh, &b.refresh}, std::pair{&a.long_lived_exchange, &b.long_lived_exchange}}) {
    ASSERT_EQ(x->has_value(), y->has_value());
    if (!*x) continue;
    EXPECT_EQ((*x)->url, (*y)->url);
    EXPECT_EQ((*x)->method, (*y)->method);
    EXPECT_EQ((*x)->grant_type, (*y)->grant_type);
    EXPECT_EQ((*x)->send_access_token, (*y)->send_access_token);
    EXPECT_EQ((*x)->token_param, (*y)->token_param);
    EXPECT_EQ((*x)->params, (*y)->params);
    EXPECT_EQ((*x)->client_auth, (*y)->client_auth);
    EXPECT_EQ((*x)->root, (*y)->root);
  }
  EXPECT_EQ(a.token_response.root, b.token_response.root);
  EXPECT_EQ(a.token_response.keep, b.token_response.keep);
  EXPECT_EQ(a.token_response.expires_in_milliseconds, b.token_response.expires_in_milliseconds);
  ASSERT_EQ(a.template_params.size(), b.template_params.size());
  for (std::size_t i = 0; i < a.template_params.size(); ++i) {
    EXPECT_EQ(a.template_params[i].name, b.template_params[i].name);
    EXPECT_EQ(a.template_params[i].pattern, b.template_params[i].pattern);
    EXPECT_EQ(a.template_params[i].default_value, b.template_params[i].default_value);
    EXPECT_EQ(a.template_params[i].description, b.template_params[i].description);
    EXPECT_EQ(a.template_params[i].from, b.template_params[i].from);
    EXPECT_EQ(a.template_params[i].take_host, b.template_params[i].take_host);
  }
  EXPECT_EQ(a.expiry_buffer_seconds, b.expiry_buffer_seconds);
  EXPECT_EQ(a.token_exchange_body_format, b.token_exchange_body_format);
  EXPECT_EQ(a.refresh_endpoint, b.refresh_endpoint);
  ASSERT_EQ(a.ping.has_value(), b.ping.has_value());
  if (a.ping) {
    EXPECT_EQ(a.ping->method, b.ping->method);
    EXPECT_EQ(a.ping->url, b.ping->url);
    EXPECT_EQ(a.ping->headers, b.ping->headers);
    EXPECT_EQ(a.ping->ok_path, b.ping->ok_path);
  }
  ASSERT_EQ(a.identity.has_value(), b.identity.has_value());
  if (a.identity) {
    EXPECT_EQ(a.identity->url, b.identity->url);
    EXPECT_EQ(a.identity->account_path, b.identity->account_path);
    EXPECT_EQ(a.identity->headers, b.identity->headers);
  }
  ASSERT_EQ(a.metadata.has_value(), b.metadata.has_value());
  if (a.metadata) {
    EXPECT_EQ(a.metadata->method, b.metadata->method);
    EXPECT_EQ(a.metadata->url, b.metadata->url);
    EXPECT_EQ(a.metadata->headers, b.metadata->headers);
  }
  EXPECT_EQ(a.injection.hosts, b.injection.hosts);
  EXPECT_EQ(a.injection.header, b.injection.header);
  EXPECT_EQ(a.injection.prefix, b.injection.prefix);
  EXPECT_EQ(a.injection.query_param, b.injection.query_param);
  EXPECT_EQ(a.available_scopes, b.available_scopes);
  EXPECT_EQ(a.requires_client_secret, b.requires_client_secret);
  EXPECT_EQ(a.managed_service_config_key, b.managed_service_config_key);
  EXPECT_EQ(a.docs_url, b.docs_url);
  EXPECT_EQ(a.category, b.category);
  EXPECT_EQ(a.logo_url, b.logo_url);
  EXPECT_EQ(a.scope_descriptions, b.scope_descriptions);
}

}  // namespace latchkey::testing
