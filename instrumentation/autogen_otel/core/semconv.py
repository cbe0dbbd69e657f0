"""Every telemetry name we emit, in one place.

GenAI names follow OpenTelemetry semantic conventions v1.41.1; names with no semconv
counterpart live under ``autogen.``.
"""

from __future__ import annotations

# --- operations (gen_ai.operation.name values) ---
OP_WORKFLOW = "invoke_workflow"
OP_AGENT = "invoke_agent"
OP_CHAT = "chat"
OP_TOOL = "execute_tool"
# Not GenAI operations: a wait for a person, shown so it does not read as model latency.
OP_HUMAN_INPUT = "human_input"
OP_EVALUATION = "evaluation"  # a gen_ai.evaluation.result, as a span under the evaluated run
OP_EXECUTOR = "executor"  # an Agent Framework workflow executor the app wrote (no semconv operation)
CODE_EXECUTION_TOOL = "code_execution"

# --- GenAI attributes ---
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
GEN_AI_WORKFLOW_NAME = "gen_ai.workflow.name"
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_AGENT_ID = "gen_ai.agent.id"
GEN_AI_AGENT_DESCRIPTION = "gen_ai.agent.description"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_TYPE = "gen_ai.tool.type"
GEN_AI_TOOL_DESCRIPTION = "gen_ai.tool.description"
GEN_AI_TOKEN_TYPE = "gen_ai.token.type"
GEN_AI_EVALUATION_NAME = "gen_ai.evaluation.name"
GEN_AI_EVALUATION_SCORE_VALUE = "gen_ai.evaluation.score.value"
GEN_AI_EVALUATION_SCORE_LABEL = "gen_ai.evaluation.score.label"
GEN_AI_EVALUATION_EXPLANATION = "gen_ai.evaluation.explanation"

# opt-in content
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GEN_AI_TOOL_DEFINITIONS = "gen_ai.tool.definitions"
GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result"

SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"
ERROR_TYPE_OTHER = "_OTHER"
EXCEPTION_EVENT = "exception"
EXCEPTION_TYPE = "exception.type"
EXCEPTION_MESSAGE = "exception.message"
EXCEPTION_STACKTRACE = "exception.stacktrace"
ERROR_TYPE_TOOL = "tool_error"  # a tool that reported failure rather than raising

TOKEN_TYPE_INPUT = "input"
TOKEN_TYPE_OUTPUT = "output"

# --- Model Context Protocol (the GenAI conventions' MCP page) ---
GEN_AI_PROMPT_NAME = "gen_ai.prompt.name"
MCP_METHOD_NAME = "mcp.method.name"
MCP_SESSION_ID = "mcp.session.id"
MCP_PROTOCOL_VERSION = "mcp.protocol.version"
MCP_RESOURCE_URI = "mcp.resource.uri"
JSONRPC_REQUEST_ID = "jsonrpc.request.id"
RPC_RESPONSE_STATUS_CODE = "rpc.response.status_code"
NETWORK_TRANSPORT = "network.transport"
NETWORK_PROTOCOL_NAME = "network.protocol.name"
CLIENT_ADDRESS = "client.address"

# --- Agent2Agent protocol (the draft GenAI conventions' A2A page: semantic-conventions-genai #195) ---
A2A_METHOD_NAME = "a2a.method.name"
A2A_PROTOCOL_VERSION = "a2a.protocol.version"
A2A_TENANT = "a2a.tenant"
A2A_MESSAGE_ID = "a2a.message.id"
A2A_REFERENCE_TASK_IDS = "a2a.message.reference_task_ids"
A2A_TASK_ID = "a2a.task.id"
A2A_TASK_STATE = "a2a.task.state"
GEN_AI_AGENT_VERSION = "gen_ai.agent.version"

# --- AutoGen-specific attributes (no semconv name) ---
AUTOGEN_TEAM_PARTICIPANTS = "autogen.team.participants"
AUTOGEN_TEAM_TYPE = "autogen.team.type"
AUTOGEN_RUN_MESSAGES = "autogen.run.messages"
AUTOGEN_RUN_TURNS = "autogen.run.turns"
AUTOGEN_RUN_MODEL_CALLS = "autogen.run.model_calls"
AUTOGEN_RUN_TURN_LIMIT = "autogen.run.turn_limit"
AUTOGEN_RUN_STOP_REASON = "autogen.run.stop_reason"
AUTOGEN_RUN_STOP_CATEGORY = "autogen.run.stop_category"
AUTOGEN_AGENT_TYPE = "autogen.agent.type"
AUTOGEN_RUN_CONTINUED = "autogen.run.continued"
AUTOGEN_EXECUTOR_ID = "autogen.executor.id"
AUTOGEN_EXECUTOR_TYPE = "autogen.executor.type"
AUTOGEN_COST_USD = "autogen.cost.usd"
# True on an agent or run whose cost leaves out model calls with no known price.
AUTOGEN_COST_PARTIAL = "autogen.cost.partial"
AUTOGEN_UNPRICED_CALLS = "autogen.cost.unpriced_calls"
AUTOGEN_STREAM = "autogen.stream"
AUTOGEN_STREAM_ABANDONED = "autogen.stream.abandoned"
AUTOGEN_RESPONSE_CACHED = "autogen.response.cached"
AUTOGEN_HANDOFF_TARGET = "autogen.handoff.target"
AUTOGEN_HANDOFF_SOURCE = "autogen.handoff.source"
AUTOGEN_LOOP_KIND = "autogen.loop.kind"
AUTOGEN_LOOP_REPEATS = "autogen.loop.repeats"
AUTOGEN_AG2_COST_USD = "autogen.ag2.cost.usd"  # AG2's own ChatResult.cost figure, where it differs from ours
AUTOGEN_HUMAN_INPUT_MODE = "autogen.human_input.mode"
AUTOGEN_CODE_LANGUAGES = "autogen.code.languages"
AUTOGEN_CODE_BLOCKS = "autogen.code.blocks"
AUTOGEN_CODE_EXIT_CODE = "autogen.code.exit_code"
# Distributed runtime (autogen_ext.runtimes.grpc): messaging semconv names where they exist.
MESSAGING_SYSTEM = "messaging.system"
MESSAGING_OPERATION_TYPE = "messaging.operation.type"
MESSAGING_DESTINATION_NAME = "messaging.destination.name"
MESSAGING_SYSTEM_AUTOGEN = "autogen"
AUTOGEN_MESSAGE_TYPE = "autogen.message.type"

EVENT_HANDOFF = "autogen.handoff"
EVENT_LOOP_DETECTED = "autogen.loop_detected"
EVENT_REQUEST_INFO = "autogen.request_info"
EVENT_EVALUATION_RESULT = "gen_ai.evaluation.result"
EVENT_INFERENCE_DETAILS = "gen_ai.client.inference.operation.details"

# --- metrics ---
METRIC_TOKEN_USAGE = "gen_ai.client.token.usage"
METRIC_OPERATION_DURATION = "gen_ai.client.operation.duration"
METRIC_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
METRIC_WORKFLOW_DURATION = "gen_ai.invoke_workflow.duration"  # was gen_ai.workflow.duration (semconv-genai #341)
METRIC_AGENT_DURATION = "gen_ai.invoke_agent.duration"
METRIC_TOOL_DURATION = "gen_ai.execute_tool.duration"
METRIC_COST = "autogen.cost"
METRIC_UNPRICED_CALLS = "autogen.cost.unpriced_calls"  # model calls with no known price
METRIC_RUN_TURNS = "autogen.run.turns"
METRIC_RUN_MESSAGES = "autogen.run.messages"
METRIC_RUN_COST = "autogen.run.cost"
METRIC_RUN_ACTIVE = "autogen.run.active"  # an UpDownCounter: singular, by the naming rules
METRIC_RUNS_ACTIVE = "autogen.runs.active"  # deprecated name of the same, still emitted
METRIC_RUNS = "autogen.runs"
METRIC_LOOPS = "autogen.loop.detections"
METRIC_EVALUATIONS = "autogen.evaluation.results"
METRIC_EVALUATION_SCORE = "autogen.evaluation.score"
METRIC_LAST_MODEL_CALL = "autogen.run.last_model_call_age"
METRIC_ACTIVE_RUN_COST = "autogen.run.active_cost"
METRIC_TURN_LIMIT_USAGE = "autogen.run.turn_limit_usage"
METRIC_MCP_CLIENT_DURATION = "mcp.client.operation.duration"
METRIC_MCP_SERVER_DURATION = "mcp.server.operation.duration"
METRIC_A2A_CLIENT_DURATION = "a2a.client.operation.duration"  # draft (semantic-conventions-genai #254)
METRIC_A2A_SERVER_DURATION = "a2a.server.operation.duration"

# Bucket advisories from the semconv metric definitions.
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
# The GenAI conventions' advisories for agent turns and whole runs, which outlast a model call.
AGENT_DURATION_BUCKETS = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6)
WORKFLOW_DURATION_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)
COST_BUCKETS = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50)
SCORE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
MCP_DURATION_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
COUNT_BUCKETS = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)
