#include "errors.h"

namespace ballast {

std::string OneLine(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool pendingSpace = false;
  for (char ch : text) {
    if (ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ') {
      pendingSpace = !out.empty();
      continue;
    }
    if (pendingSpace) out.push_back(' ');
    pendingSpace = false;
    out.push_back(ch);
  }
  return out;
}

LvError CaptureLastError(const char* what) {
  LvError out;
  virErrorPtr err = virGetLastError();
  if (err == nullptr || err->code == VIR_ERR_OK) {
    out.message = std::string(what) + " failed without a libvirt error";
    return out;
  }
  out.code = err->code;
  out.domain = err->domain;
  out.message = OneLine(err->message != nullptr ? err->message : what);
  return out;
}

void ThrowLast(const char* what) { throw LvFailure(CaptureLastError(what)); }

void ThrowError(int code, const std::string& message) {
  LvError err;
  err.code = code;
  err.domain = VIR_FROM_NONE;
  err.message = message;
  throw LvFailure(std::move(err));
}

Napi::Error ToJsError(Napi::Env env, const LvError& err) {
  Napi::Error jsErr = Napi::Error::New(env, err.message);
  Napi::Object obj = jsErr.Value();
  obj.Set("name", Napi::String::New(env, "LibvirtError"));
  obj.Set("code", Napi::Number::New(env, err.code));
  obj.Set("domain", Napi::Number::New(env, err.domain));
  return jsErr;
}

static void IgnoreError(void* /*userData*/, virErrorPtr /*error*/) {}

void SilenceDefaultErrorHandler() { virSetErrorFunc(nullptr, IgnoreError); }

}  // namespace ballast
