"""Rendering notice templates, and checking them before they are saved.

Notices are plain text (email and SMS alike), so autoescaping is off: the text is never put
into HTML. A dedicated engine, without the site's template directories or loaders, is used so
a notice template cannot include or extend a site template.
"""

from __future__ import annotations

from typing import cast

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Node, Template, TextNode, VariableNode
from django.template.defaulttags import CommentNode, ForNode, IfNode

from notifications.kinds import KINDS, REQUIRED_VARIABLES

ENGINE = Engine(autoescape=False, loaders=[], libraries={}, string_if_invalid="")


# Notices print values; they never include, load or reach anything else.
_ALLOWED_NODES = (TextNode, VariableNode, IfNode, ForNode, CommentNode)


def template_compile(text: str) -> Template:
    return ENGINE.from_string(text)


def _lookup_root(filter_expression) -> str | None:
    lookups = getattr(getattr(filter_expression, "var", None), "lookups", None)
    return lookups[0] if lookups else None


def _condition_names(condition) -> set[str]:
    if condition is None:
        return set()
    root = _lookup_root(getattr(condition, "value", None))
    names = {root} if root is not None else set()
    for part in (getattr(condition, "first", None), getattr(condition, "second", None)):
        names |= _condition_names(part)
    return names


def variables_used(template: Template) -> set[str]:
    """Names the template reads from its context (loop variables excluded)."""
    roots: set[str | None] = set()
    names: set[str] = set()
    loop_names: set[str] = {"forloop"}
    nodelist = template.nodelist
    # get_nodes_by_type returns nodes of the type asked for (the stubs say only `Node`).
    for variable in cast(list[VariableNode], nodelist.get_nodes_by_type(VariableNode)):
        roots.add(_lookup_root(variable.filter_expression))
    for if_node in cast(list[IfNode], nodelist.get_nodes_by_type(IfNode)):
        for condition, _ in if_node.conditions_nodelists:
            names |= _condition_names(condition)
    for for_node in cast(list[ForNode], nodelist.get_nodes_by_type(ForNode)):
        roots.add(_lookup_root(for_node.sequence))
        loop_names.update(for_node.loopvars)
    names.update(root for root in roots if root is not None)
    return names - loop_names


def template_problems(*, kind: str, subject: str, body: str) -> list[str]:
    """What is wrong with a template, in words for the operator: syntax errors, variables the
    kind does not provide (a typo would print nothing), and required variables left out."""
    spec = KINDS[kind]
    problems: list[str] = []
    used: set[str] = set()
    for label, text in (("subject", subject), ("body", body)):
        if not text:
            continue
        try:
            template = template_compile(text)
        except TemplateSyntaxError as exc:
            problems.append(f"The {label} has a template syntax error: {exc}")
            continue
        used |= variables_used(template)
        other_tags = {
            type(node).__name__
            for node in template.nodelist.get_nodes_by_type(Node)
            if not isinstance(node, _ALLOWED_NODES)
        }
        if other_tags:
            problems.append(
                f"The {label} may use {{{{ variables }}}}, {{% if %}} and {{% for %}} only "
                f"(found {', '.join(sorted(other_tags))})."
            )
    if problems:
        return problems
    unknown = sorted(used - spec.allowed)
    if unknown:
        names = ", ".join("{{ " + name + " }}" for name in unknown)
        allowed = ", ".join(sorted(spec.allowed))
        problems.append(f"Unknown variables: {names}. This kind provides: {allowed}.")
    missing = sorted(REQUIRED_VARIABLES - used)
    if missing:
        names = ", ".join("{{ " + name + " }}" for name in missing)
        problems.append(f"Every notice must print {names} so that people can check it is genuine.")
    return problems


def render(template: Template, context: dict) -> str:
    return template.render(Context(context, autoescape=False)).strip()
