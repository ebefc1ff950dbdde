"""Start the Spark copy (glue_scripts/exchange_copy.py) through Dagster Pipes: a local or
cluster Spark subprocess by default, an AWS Glue job by configuration. Only ids, names and
the *names* of secrets travel in the parameters."""

import sys
from typing import Any

import dagster as dg

from domain.errors import PermanentError, RetryableError
from domain.exchanges.request import ExchangeRequest
from resources.settings import REPO_ROOT, Settings
from resources.spark import jdbc_jars, spark_log_file

SCRIPT = REPO_ROOT / "glue_scripts" / "exchange_copy.py"


def copy_params(databases, settings: Settings, request: ExchangeRequest) -> dict[str, Any]:
    def connection(db_name: str) -> dict[str, Any]:
        # The password's variable name and Secrets Manager id, from the databases resource's
        # declaration (resources/databases.py `jdbc`): the Spark process reads the value itself.
        return databases.jdbc(db_name)

    return {
        "exchange_id": request.exchange_id,
        "source_case_id": request.source_case_id,
        "destination_case_id": request.destination_case_id,
        "source": connection(databases.case_db_name(request.source_case_id)),
        "destination": connection(databases.case_db_name(request.destination_case_id)),
        "ledger": connection(databases.config.platform_db_name),
        "exhibit_ids": request.exhibit_ids or [],
        "label_id": request.label_id,
        "include_natives": request.include_natives,
        "annotation_types": request.layer_annotation_types,
        "stamp_types": request.layer_stamp_types,
        "batch_size": settings.exchange_jdbc_batch_size,
        "partitions": settings.exchange_jdbc_partitions,
    }


def run_copy(context: dg.AssetExecutionContext, settings: Settings, params: dict[str, Any]) -> dict[str, Any]:
    """The script's result (counts per table, seconds, Spark start-up)."""
    try:
        if settings.exchange_launcher == "glue":
            invocation = _glue(context, settings, params)
        else:
            invocation = _subprocess(context, settings, params)
        result = invocation.get_materialize_result()
    except dg.DagsterError as exc:  # the external process failed (DagsterPipesExecutionError)
        message = str(exc)
        if "ExchangeInputError" in message:
            raise PermanentError(
                "The exchange was refused: " + message.split("ExchangeInputError:")[-1].strip()[:500]
            ) from None
        # The copy is resumable through its id map: a retry picks up where this attempt stopped.
        raise RetryableError(
            "The Spark copy stopped before the end; it will resume where it stopped."
        ) from exc
    return result.metadata["copy"].value


def _subprocess(context, settings: Settings, params: dict[str, Any]):
    env = {
        "NP_SPARK_MASTER": settings.spark_master,
        "NP_SPARK_JARS": ",".join(jdbc_jars(settings.spark_jars)),
        "NP_SPARK_LOG_FILE": str(spark_log_file(settings)),  # Spark's full log; errors only on the console
        "PYTHONPATH": str(REPO_ROOT),
    }
    return dg.PipesSubprocessClient(cwd=str(REPO_ROOT)).run(
        command=[sys.executable, str(SCRIPT)], context=context, extras={"params": params}, env=env
    )


def _glue(context, settings: Settings, params: dict[str, Any]):  # pragma: no cover - needs AWS Glue
    import boto3
    from dagster_aws.pipes import PipesCloudWatchMessageReader, PipesGlueClient, PipesS3ContextInjector

    client = PipesGlueClient(
        client=boto3.client("glue", region_name=settings.aws_region),
        context_injector=PipesS3ContextInjector(
            bucket=settings.s3_bucket, client=boto3.client("s3", region_name=settings.aws_region)
        ),
        message_reader=PipesCloudWatchMessageReader(
            client=boto3.client("logs", region_name=settings.aws_region)
        ),
    )
    return client.run(
        context=context, start_job_run_params={"JobName": settings.glue_job_name}, extras={"params": params}
    )
