{
  "targets": [
    {
      "target_name": "ballast_libvirt",
      "sources": [
        "native/addon.cc",
        "native/args.cc",
        "native/connection.cc",
        "native/domain-cache.cc",
        "native/domain-calls.cc",
        "native/domain-handle.cc",
        "native/domain-memory.cc",
        "native/domain-metadata.cc",
        "native/domain-sample.cc",
        "native/domain-tune.cc",
        "native/domain-vcpu.cc",
        "native/errors.cc",
        "native/events.cc",
        "native/host-calls.cc",
        "native/migrate.cc",
        "native/stats.cc",
        "native/typed-params.cc"
      ],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include\")",
        "<!@(pkg-config --cflags-only-I libvirt | sed 's/-I//g')"
      ],
      "libraries": ["<!@(pkg-config --libs libvirt)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
