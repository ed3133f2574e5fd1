// Copies of libvirt errors, taken on the thread that failed, and their JS form.
#pragma once

#include <libvirt/virterror.h>
#include <napi.h>

#include <exception>
#include <string>

namespace ballast {

// A copy of the fields of libvirt's virError that the JS side sees.
struct LvError {
  int code = VIR_ERR_INTERNAL_ERROR;
  int domain = VIR_FROM_NONE;
  std::string message;
};

// Thrown inside a worker's Execute (C++ only, never crosses into JS).
struct LvFailure : std::exception {
  explicit LvFailure(LvError e) : error(std::move(e)) {}
  const char* what() const noexcept override { return error.message.c_str(); }
  LvError error;
};

// Copies this thread's last libvirt error; `what` names the failed call and is
// used only when libvirt left no error behind.
LvError CaptureLastError(const char* what);

// Captures this thread's last libvirt error and throws it as an LvFailure.
[[noreturn]] void ThrowLast(const char* what);

// Throws a synthetic error (our own argument checks inside Execute).
[[noreturn]] void ThrowError(int code, const std::string& message);

// Checks a libvirt return value: negative means failure.
inline int Check(int ret, const char* what) {
  if (ret < 0) ThrowLast(what);
  return ret;
}

// Checks a libvirt pointer result: null means failure.
template <typename T>
T* CheckPtr(T* ptr, const char* what) {
  if (ptr == nullptr) ThrowLast(what);
  return ptr;
}

// Turns a (possibly multi-line) libvirt message into one line.
std::string OneLine(const std::string& text);

// Builds the JS Error {message, code, domain} that the TS layer maps to LibvirtError.
Napi::Error ToJsError(Napi::Env env, const LvError& err);

// Installs a no-op global error handler so libvirt never prints to stderr.
void SilenceDefaultErrorHandler();

}  // namespace ballast
