/**
 * Gatehouse's Cedar schema for ToolHive-style authorization (ToolHive ships none): principals are
 * `Client` entities (the token's subject) inside `THVGroup`s (the groups claim); each MCP operation
 * is an action on its own resource type. Every generated policy set is validated against it.
 */
export const CEDAR_SCHEMA = `entity THVGroup;
entity Client in [THVGroup];
entity Tool;
entity Prompt;
entity Resource;
entity FeatureType;
action call_tool appliesTo { principal: [Client], resource: [Tool] };
action get_prompt appliesTo { principal: [Client], resource: [Prompt] };
action read_resource appliesTo { principal: [Client], resource: [Resource] };
action list_tools, list_prompts, list_resources appliesTo { principal: [Client], resource: [FeatureType] };
`;
