"""``mcpgen deploy k8s``: Kubernetes manifests or a Helm chart (see :mod:`mcpgen.workflows.deploy`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mcpgen.cli import render
from mcpgen.cli._common import JsonFlag, Workspace, state
from mcpgen.cli.errors import Group

deploy_app = typer.Typer(help="Render deployment files for a server image.", cls=Group, no_args_is_help=True)


@deploy_app.command("k8s")
def k8s_cmd(
    workspace: Workspace = Path("."),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder to write (default: WS/deploy/kubernetes, with --helm WS/deploy/helm/NAME)."
        ),
    ] = None,
    helm: Annotated[
        bool, typer.Option("--helm", help="Write a Helm chart instead of plain manifests.")
    ] = False,
    image: Annotated[
        str | None,
        typer.Option("--image", help="Image reference (default: what `mcpgen build` tags, NAME:vVERSION)."),
    ] = None,
    replicas: Annotated[
        int | None, typer.Option("--replicas", min=1, max=1000, help="Replicas (the autoscaler's minimum).")
    ] = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", help="Namespace (default: default).")
    ] = None,
    host: Annotated[
        list[str] | None,
        typer.Option("--host", help="A public host name clients use, e.g. an Ingress host (repeatable)."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Deployment, Service, HPA, PodDisruptionBudget, NetworkPolicy, ConfigMap, ServiceMonitor (metrics on),
    and the kubectl command that creates the credentials Secret (never its values)."""
    from mcpgen.workflows.deploy import DeployOptions, deploy_k8s

    options = DeployOptions(
        out=out, helm=helm, image=image, replicas=replicas, namespace=namespace, hosts=tuple(host or ())
    )
    deployed = deploy_k8s(workspace, options)
    if json_out:
        render.print_json(deployed.to_data())
        return
    for warning in deployed.warnings:
        render.err.print(f"[yellow]warning:[/yellow] {warning}", markup=True, highlight=False)
    if state.quiet:
        return
    for path in deployed.files:
        render.out.print(f"[green]wrote[/green]   {path}", markup=True, highlight=False)
    plan = deployed.plan
    render.out.print(f"\nimage {plan.image}, namespace {plan.namespace}", highlight=False)
    if deployed.secret_commands:
        render.out.print(
            "\nCreate the Secret(s) the pods read (values from your shell, never from these files):"
        )
        for command in deployed.secret_commands:
            render.out.print(f"  {command}", markup=False, highlight=False)
    apply = (
        f"helm install {plan.name} {deployed.out}" if deployed.helm else f"kubectl apply -f {deployed.out}"
    )
    render.out.print(f"\nThen: {apply}", markup=False, highlight=False)
