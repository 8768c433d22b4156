// The error classes every export throws, one per kind of the README's error table. The module
// creates them through `newError` and sets their fields; users test them with `instanceof`.
// scripts/build-pkg.sh turns this file into CommonJS for the Node build (the last line).
class ValidationError extends Error {}
class ApiError extends Error {}
class TimeoutError extends Error {}
class NetworkError extends Error {}
class AbortError extends Error {}

const classes = { ValidationError, ApiError, TimeoutError, NetworkError, AbortError };
for (const [name, constructor] of Object.entries(classes)) {
  Object.defineProperty(constructor.prototype, "name", { value: name, writable: true, configurable: true });
}

function newError(name, message) {
  return new classes[name](message);
}

export { ValidationError, ApiError, TimeoutError, NetworkError, AbortError, newError };
