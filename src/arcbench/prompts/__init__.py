"""Prompt texts: grid rendering, the task prompt and the feedback message, from template files."""

from arcbench.prompts.grids import grid_to_text, infer_output_shape, text_to_grid
from arcbench.prompts.render import parse_task_prompt, task_messages, task_prompt, template_hash

__all__ = ["grid_to_text", "infer_output_shape", "parse_task_prompt", "task_messages", "task_prompt",
           "template_hash", "text_to_grid"]
