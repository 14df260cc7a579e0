// The operations the C ABI runs, as one table (operations.cpp): each row names an operation as
// requests name it ({"op": "get_token", ...}), reads its arguments from the request, builds it
// with the engine, and writes its result as JSON. lk_op_begin's dispatch and the JSON of every
// result come from here, so an operation reaches the ABI by one row.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "json.hpp"
#include "latchkey/engine.hpp"

namespace latchkey::detail {

struct OperationEntry {
  std::string_view name;
  /// Reads the arguments and builds the operation; invalid_request with a message naming the
  /// argument (the first problem found) when they are wrong.
  std::function<Result<std::unique_ptr<OperationBase>>(Engine&, Args&)> begin;
  /// The outcome of an operation this entry built, once finished: {"ok": ...} or {"error": {...}}.
  std::function<json::Value(const OperationBase&)> result;
};

/// Every row, in the order they are written.
const std::vector<OperationEntry>& operation_table();
/// The row named `name`, or nullptr.
const OperationEntry* find_operation(std::string_view name);

struct MadeOperation {
  std::unique_ptr<OperationBase> op;
  const OperationEntry* entry = nullptr;  ///< Writes op's result.
};

/// Builds the operation `request_json` ({"op": name, ...}) asks for. invalid_request when the
/// text is not a JSON object, names no known operation, or has bad arguments.
Result<MadeOperation> make_operation(Engine& engine, std::string_view request_json);

}  // namespace latchkey::detail
